// WebOffice preview in a real browser: Debian's Chromium, driven by playwright-core, opens the URL that
// POST /documents/preview answers (through the api function and the offline IMM) and must draw page 1 with
// pdf.js, canvas and text layer, under the viewer's CSP. An expired access token must get the 401 page, and
// a refreshed one must open the document again; a Word document renders through LibreOffice when it is
// installed (otherwise the page says how to enable it). Run with `npm run test:browser`.
import { existsSync } from 'node:fs';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { libreOfficeAvailable, wordDocument } from '../helpers/office';
import { callApi, partnerClient, startTestStack, type TestStack } from '../helpers/stack';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SENTENCE = 'Offline previews render the quick brown fox';
const KEY = 'incoming/browser/fox.pdf';

async function foxPdf(): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([595.28, 841.89]).drawText(SENTENCE, { x: 50, y: 760, size: 22, font });
  doc.addPage([595.28, 841.89]).drawText('second page', { x: 50, y: 760, size: 22, font });
  return Buffer.from(await doc.save());
}

/** Uploads the PDF under the input prefix (IMM may read only there), lets the upload trigger finish, and asks for a preview. */
async function preview(stack: TestStack, document: Buffer, key = KEY): Promise<Record<string, string>> {
  await partnerClient(stack.info).put(key, document);
  await stack.settled();
  const response = await callApi(stack.info, 'POST', '/documents/preview', { uri: `oss://${stack.info.bucket}/${key}` });
  if (response.status !== 200) throw new Error(`POST /documents/preview answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

const withToken = (url: string, token: string) => `${url}&access_token=${encodeURIComponent(token)}`;

/** Resolves with the final state the viewer reports on <body>: `rendered` or `error`. */
async function viewerState(page: Page): Promise<string> {
  // A selector, not a predicate: Playwright evaluates predicates with eval, which the viewer's CSP forbids.
  await page.locator('body[data-state="rendered"], body[data-state="error"]').waitFor({ state: 'attached', timeout: 30000 });
  return (await page.getAttribute('body', 'data-state')) ?? '';
}

describe('WebOffice preview in Chromium', () => {
  let stack: TestStack;
  let shortLived: TestStack;
  let browser: Browser;
  let pdf: Buffer;

  beforeAll(async () => {
    // A missing browser is a broken machine, not a reason to skip.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get install -y chromium\` and try again`);
    pdf = await foxPdf();
    [stack, shortLived, browser] = await Promise.all([
      startTestStack(),
      startTestStack({ weboffice: { accessTokenTtlSeconds: 1 } }),
      chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60000 }),
    ]);
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([stack?.dispose(), shortLived?.dispose()]);
  });

  it('renders page 1 to a canvas with its text in the text layer', async () => {
    // Prepare
    const tokens = await preview(stack, pdf);
    const page = await browser.newPage();
    // CSP violations, failed requests and script errors all reach the console as errors.
    const consoleErrors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));

    // Act
    const response = await page.goto(withToken(tokens.url, tokens.accessToken));
    const state = await viewerState(page);
    const canvas = await page.locator('.page[data-page-number="1"] canvas').boundingBox();
    const inkedPixels = await page.evaluate(`(() => {
      const canvas = document.querySelector('.page[data-page-number="1"] canvas');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let dark = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i + 3] > 0 && pixels[i] < 128) dark++;
      return dark;
    })()`);
    const text = (await page.locator('.page[data-page-number="1"] .textLayer span').allTextContents()).join('');
    const status = await page.locator('#status').textContent();
    await page.close();

    // Assess
    expect(response?.status()).toBe(200);
    expect({ state, status }).toEqual({ state: 'rendered', status: '' });
    // A4 at the viewer's 1.25 CSS pixels per point: about 744 × 1052.
    expect(canvas?.width).toBeGreaterThan(700);
    expect(canvas?.width).toBeLessThan(800);
    expect((canvas?.height ?? 0) / (canvas?.width ?? 1)).toBeCloseTo(841.89 / 595.28, 1);
    expect(inkedPixels).toBeGreaterThan(200);
    expect(text.replace(/\s+/g, ' ')).toContain(SENTENCE);
    expect(consoleErrors).toEqual([]);
  });

  it('answers an expired access token with the 401 page', async () => {
    // Prepare
    const tokens = await preview(shortLived, pdf);
    // The token's lifetime is 1 s: wait until IMM's own expiry time has passed.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(tokens.accessTokenExpiresAt) - Date.now()) + 50));
    const page = await browser.newPage();

    // Act
    const response = await page.goto(withToken(tokens.url, tokens.accessToken));
    const heading = await page.locator('h1').textContent();
    const advice = await page.locator('main').textContent();
    const state = await page.getAttribute('body', 'data-state');
    await page.close();

    // Assess
    expect(response?.status()).toBe(401);
    expect(heading).toBe('The access token is invalid or expired');
    expect(advice).toContain('POST /documents/preview/refresh');
    expect(state).toBe('error');
  });

  it('opens the document with a refreshed access token and refuses the one it replaced', async () => {
    // Prepare
    const tokens = await preview(stack, pdf);
    const refreshed = await callApi(stack.info, 'POST', '/documents/preview/refresh', { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken });
    const page = await browser.newPage();

    // Act
    const old = await page.goto(withToken(tokens.url, tokens.accessToken));
    const reopened = await page.goto(withToken(tokens.url, refreshed.body.accessToken));
    const state = await viewerState(page);
    await page.close();

    // Assess
    expect(refreshed.status).toBe(200);
    expect(old?.status()).toBe(401);
    expect(reopened?.status()).toBe(200);
    expect(state).toBe('rendered');
  });

  it('shows a Word document through LibreOffice, or a page that says how to enable it', async () => {
    // Prepare
    const available = await libreOfficeAvailable();
    const docx = available ? await wordDocument(SENTENCE) : Buffer.from('PK\u0003\u0004 not a docx');
    const tokens = await preview(stack, docx, 'incoming/browser/fox.docx');
    const page = await browser.newPage();

    // Act
    const response = await page.goto(withToken(tokens.url, tokens.accessToken));
    const state = await viewerState(page);
    const text = available ? (await page.locator('.page[data-page-number="1"] .textLayer span').allTextContents()).join('') : '';
    const body = await page.locator('body').textContent();
    await page.close();

    // Assess
    if (available) {
      expect(response?.status()).toBe(200);
      expect(state).toBe('rendered');
      expect(text.replace(/\s+/g, ' ')).toContain(SENTENCE);
    } else {
      expect(response?.status()).toBe(501);
      expect(state).toBe('error');
      expect(body).toContain('libreoffice');
    }
  });
});
