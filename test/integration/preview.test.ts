// WebOffice preview end to end on the local stack, without a browser: POST /documents/preview through the
// api function and the offline IMM (which reads the document as its service role), the viewer page and the
// document behind it on the IMM server, 401 for missing, wrong and expired tokens, and token rotation
// through POST /documents/preview/refresh. The browser side is test/browser/preview.browser.test.ts.
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { callApi, partnerClient, startTestStack, type TestStack } from '../helpers/stack';

const SENTENCE = 'imm-bridge previews this sentence';
const IMM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;

async function samplePdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595.28, 841.89]).drawText(SENTENCE, { x: 50, y: 780, size: 20, font });
  return Buffer.from(await doc.save());
}

/** Puts an object under the input prefix (the only one IMM's service role may read) and waits for the upload trigger. */
async function upload(stack: TestStack, key: string, body: Buffer): Promise<string> {
  await partnerClient(stack.info).put(key, body);
  await stack.settled();
  return `oss://${stack.info.bucket}/${key}`;
}

const contentUrl = (url: string) => url.replace('?_w_tokentype=1', '/content');
const withToken = (url: string, token: string) => `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;

describe('document preview (local stack)', () => {
  let stack: TestStack;
  let pdf: Buffer;
  let pdfUri: string;

  beforeAll(async () => {
    stack = await startTestStack();
    pdf = await samplePdf();
    pdfUri = await upload(stack, 'incoming/preview/report.pdf', pdf);
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  const preview = (body: unknown) => callApi(stack.info, 'POST', '/documents/preview', body);

  it('answers a viewer URL on the IMM server and a token pair with IMM lifetimes', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const response = await preview({ uri: pdfUri });

    // Assess
    expect(response.status).toBe(200);
    const { url, accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt } = response.body;
    expect(url).toMatch(new RegExp(`^http://${stack.info.endpoints.imm.replace(/\./g, '\\.')}/office/s/[0-9a-f]{32}\\?_w_tokentype=1$`));
    expect(accessToken).toMatch(/^[0-9a-f]{32}$/);
    expect(refreshToken).toMatch(/^[0-9a-f]{32}$/);
    expect(refreshToken).not.toBe(accessToken);
    expect(accessTokenExpiresAt).toMatch(IMM_TIME);
    expect(refreshTokenExpiresAt).toMatch(IMM_TIME);
    expect(Date.parse(accessTokenExpiresAt) - before).toBeGreaterThanOrEqual(1800 * 1000 - 1000);
    expect(Date.parse(accessTokenExpiresAt) - Date.now()).toBeLessThanOrEqual(1800 * 1000);
    expect(Date.parse(refreshTokenExpiresAt) - Date.parse(accessTokenExpiresAt)).toBeGreaterThanOrEqual((86400 - 1800) * 1000 - 1000);
  });

  it('serves the viewer page and the document to the token holder, with headers that keep both private', async () => {
    // Prepare
    const { url, accessToken } = (await preview({ uri: pdfUri, user: { id: 'u1', name: '<b>Ann</b>' } })).body;

    // Act
    const page = await fetch(withToken(url, accessToken));
    const html = await page.text();
    const content = await fetch(withToken(contentUrl(url), accessToken));
    const bytes = Buffer.from(await content.arrayBuffer());
    const bearer = await fetch(contentUrl(url), { headers: { authorization: `Bearer ${accessToken}` } });

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain('<title>report.pdf');
    expect(html).toContain('data-state="loading"');
    expect(html).toContain('src="/office/static/pdf.min.js"');
    // The user name is escaped, never markup.
    expect(html).toContain('&#60;b&#62;Ann&#60;/b&#62;');
    expect(html).not.toContain('<b>Ann');
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(content.headers.get('cache-control')).toBe('no-store');
    expect(bytes.equals(pdf)).toBe(true);
    expect(bearer.status).toBe(200);
  });

  it.each([
    ['no token', (url: string) => fetch(url)],
    ['an unknown token', (url: string) => fetch(withToken(url, '0123456789abcdef0123456789abcdef'))],
    ['a refresh token in place of the access token', (url: string, tokens: Record<string, string>) => fetch(withToken(url, tokens.refreshToken))],
    ['an unknown bearer token on the content', (url: string) => fetch(contentUrl(url), { headers: { authorization: 'Bearer nope' } })],
  ])('answers %s with 401 and says how to get a new token', async (_name, open) => {
    // Prepare
    const tokens = (await preview({ uri: pdfUri })).body;

    // Act
    const response = await open(tokens.url, tokens);
    const html = await response.text();

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(html).toContain('The access token is invalid or expired');
    expect(html).toContain('POST /documents/preview/refresh');
  });

  it("refuses an access token on another document's URL", async () => {
    // Prepare
    const first = (await preview({ uri: pdfUri })).body;
    const second = (await preview({ uri: pdfUri })).body;

    // Act
    const response = await fetch(withToken(second.url, first.accessToken));

    // Assess
    expect(second.url).not.toBe(first.url);
    expect(response.status).toBe(401);
  });

  it('refresh issues a new pair for the same URL and retires the old pair', async () => {
    // Prepare
    const old = (await preview({ uri: pdfUri })).body;

    // Act
    const refreshed = await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: old.accessToken, refreshToken: old.refreshToken });
    const withOld = await fetch(withToken(old.url, old.accessToken));
    const withNew = await fetch(withToken(old.url, refreshed.body.accessToken));
    const replay = await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: old.accessToken, refreshToken: old.refreshToken });

    // Assess
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.accessToken).toMatch(/^[0-9a-f]{32}$/);
    expect(refreshed.body.accessToken).not.toBe(old.accessToken);
    expect(refreshed.body.refreshToken).not.toBe(old.refreshToken);
    expect(refreshed.body.accessTokenExpiresAt).toMatch(IMM_TIME);
    expect(withOld.status).toBe(401);
    expect(withNew.status).toBe(200);
    expect(replay.status).toBe(400);
    expect(replay.body.error.message).toContain('InvalidRefreshToken');
  });

  it('refuses to refresh with a pair that does not belong together', async () => {
    // Prepare
    const a = (await preview({ uri: pdfUri })).body;
    const b = (await preview({ uri: pdfUri })).body;

    // Act
    const response = await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: a.accessToken, refreshToken: b.refreshToken });
    const stillValid = await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: b.accessToken, refreshToken: b.refreshToken });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('InvalidAccessToken');
    // A refused attempt does not burn the real pair.
    expect(stillValid.status).toBe(200);
  });

  it('shows a text file as a PDF converted by the local IMM', async () => {
    // Prepare
    const uri = await upload(stack, 'incoming/preview/notes.txt', Buffer.from('plain notes\nsecond line\n'));
    const { url, accessToken } = (await preview({ uri })).body;

    // Act
    const content = await fetch(withToken(contentUrl(url), accessToken));
    const bytes = Buffer.from(await content.arrayBuffer());

    // Assess
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it.each([
    ['a bucket outside ALLOWED_BUCKETS', { uri: 'oss://other-bucket-2024/incoming/preview/report.pdf' }, 403, 'BucketNotAllowed'],
    ['a missing uri', {}, 400, undefined],
    ['a non-boolean readonly', { uri: 'oss://test-bucket-2024/incoming/preview/report.pdf', readonly: 'yes' }, 400, 'InvalidBody'],
    ['a user id with punctuation', { uri: 'oss://test-bucket-2024/incoming/preview/report.pdf', user: { id: 'a.b' } }, 400, 'InvalidBody'],
    ['a missing object', { uri: 'oss://test-bucket-2024/incoming/preview/missing.pdf' }, 404, 'ObjectNotFound'],
    // Outside API_PREFIXES (INPUT_PREFIX by default): refused before IMM is asked (issue 11), no BucketDeniedImm.
    ['an object outside the api\'s prefixes', { uri: 'oss://test-bucket-2024/results/x.pdf' }, 403, 'KeyNotAllowed'],
    ['a file type the viewer cannot show', { uri: 'oss://test-bucket-2024/incoming/preview/archive.zip' }, 400, 'ImmRejected'],
    // Editable sessions need PREVIEW_ALLOW_EDIT=on (issue 11; test/integration/apiScope.test.ts has IMM's own refusal).
    ['an editable PDF', { uri: 'oss://test-bucket-2024/incoming/preview/report.pdf', readonly: false }, 403, 'PreviewEditNotAllowed'],
  ])('refuses %s', async (_name, body, status, code) => {
    // Act
    const response = await preview(body);

    // Assess
    expect(response.status).toBe(status);
    if (code) expect(response.body.error.code).toBe(code);
  });

  it('never writes a token into the function logs', async () => {
    // Prepare
    const tokens = (await preview({ uri: pdfUri })).body;
    const refreshed = (await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken })).body;

    // Act
    const secrets = [tokens.accessToken, tokens.refreshToken, refreshed.accessToken, refreshed.refreshToken];
    const leaks = stack.logLines.filter((line) => secrets.some((secret) => line.includes(secret)));

    // Assess
    expect(leaks).toEqual([]);
  });
});

describe('document preview with a 1-second access token (local stack)', () => {
  let stack: TestStack;
  let uri: string;

  beforeAll(async () => {
    stack = await startTestStack({ weboffice: { accessTokenTtlSeconds: 1 } });
    uri = await upload(stack, 'incoming/preview/short.pdf', await samplePdf());
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('refuses the access token once it expired, and still refreshes the pair', async () => {
    // Prepare
    const tokens = (await callApi(stack.info, 'POST', '/documents/preview', { uri })).body;
    const expiresAt = Date.parse(tokens.accessTokenExpiresAt);
    // Expiry is a point in time, not an event: wait until IMM's own expiry time has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));

    // Act
    const expired = await fetch(withToken(contentUrl(tokens.url), tokens.accessToken));
    const refreshed = await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });

    // Assess
    expect(expired.status).toBe(401);
    // Refreshing is what an expired access token is for (its refresh token lasts a day).
    expect(refreshed.status).toBe(200);
    expect(Date.parse(refreshed.body.accessTokenExpiresAt)).toBeGreaterThan(expiresAt);
  });
});
