// The offline IMM's WebOffice viewer as a request handler, without sockets: requests are plain objects,
// responses an in-memory Writable, the document comes from a stub reader. Routes, the token check, headers,
// escaping, and streaming (the document goes out in the chunks it was read in).
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { DataAccess } from '../../local/imm/DataAccess';
import { immErrors } from '../../local/imm/errors';
import { MemoryBudget } from '../../local/imm/MemoryBudget';
import { sofficeAvailable } from '../../local/imm/office';
import type { Project } from '../../local/imm/ProjectRegistry';
import { escapeHtml } from '../../local/imm/weboffice/pages';
import { WebofficeTokenStore, type WebofficeGrant } from '../../local/imm/weboffice/tokens';
import { createViewer, isViewerRequest } from '../../local/imm/weboffice/viewer';

const PROJECT: Project = { accountId: '2000000000000002', name: 'immtest', region: 'cn-hangzhou', serviceRole: 'AliyunIMMDefaultRole', createdAt: '2026-01-01T00:00:00.000Z' };
const PDF = Buffer.from('%PDF-1.7\n% not rendered here\n');

function grant(filename: string, extra: Partial<WebofficeGrant> = {}): WebofficeGrant {
  return { project: PROJECT, source: { bucket: 'test-bucket-2024', key: `incoming/${filename}`, uri: `oss://test-bucket-2024/incoming/${filename}` }, filename, permission: { Readonly: true }, ...extra };
}

interface Reply {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
  text: string;
  /** How many writes the body took. */
  writes: number;
}

/** What the viewer needs of a response: writeHead, then a Writable. */
class FakeResponse extends Writable {
  status = 0;
  head: Record<string, string | number> = {};
  readonly chunks: Buffer[] = [];

  writeHead(status: number, head: Record<string, string | number>): this {
    this.status = status;
    this.head = head;
    return this;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
}

/** DataAccess as the viewer uses it, over a reader mock that answers the whole object (or throws an ImmError). */
function stubData(read: jest.Mock): DataAccess {
  const chunks = (bytes: Buffer) => Readable.from(bytes.length > 8 ? [bytes.subarray(0, 8), bytes.subarray(8)] : [bytes]);
  return {
    open: async (...args: unknown[]) => {
      const bytes = (await read(...args)) as Buffer;
      return { size: bytes.length, stream: chunks(bytes) };
    },
    readToFile: async (project: unknown, source: unknown, file: string, credentialConfig: unknown) => {
      const bytes = (await read(project, source, credentialConfig)) as Buffer;
      await writeFile(file, bytes);
      return bytes.length;
    },
    memory: new MemoryBudget(),
  } as unknown as DataAccess;
}

describe('WebOffice viewer', () => {
  let tokens: WebofficeTokenStore;
  let read: jest.Mock;
  let viewer: (req: IncomingMessage, res: ServerResponse) => Promise<void>;

  beforeEach(() => {
    tokens = new WebofficeTokenStore();
    read = jest.fn(async () => PDF);
    viewer = createViewer({ tokens, data: stubData(read) });
  });

  /** Runs one GET (or HEAD) through the viewer and collects what it wrote. */
  async function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
    const res = new FakeResponse();
    await viewer({ method, url, headers } as unknown as IncomingMessage, res as unknown as ServerResponse);
    const body = Buffer.concat(res.chunks);
    return { status: res.status, headers: res.head, body, text: body.toString('utf8'), writes: res.chunks.length };
  }

  const open = (g: WebofficeGrant) => {
    const issued = tokens.issue(g);
    return { ...issued, page: `/office/s/${issued.fileId}?_w_tokentype=1`, content: `/office/s/${issued.fileId}/content` };
  };

  it('claims GET and HEAD under /office/ and leaves the rest to RPC', () => {
    // Act
    const claims = [
      ['GET', '/office/s/x'],
      ['HEAD', '/office/static/pdf.min.js'],
      ['POST', '/office/s/x'],
      ['GET', '/'],
      ['POST', '/'],
    ].map(([method, url]) => isViewerRequest({ method, url } as IncomingMessage));

    // Assess
    expect(claims).toEqual([true, true, false, false, false]);
  });

  it('answers the page for a PDF with pdf.js, the content link carrying the token, and private headers', async () => {
    // Prepare
    const session = open(grant('report.pdf', { user: { Id: 'u1', Name: 'Ann' } }));

    // Act
    const reply = await get(`${session.page}&access_token=${session.accessToken}`);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-security-policy': "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
    });
    expect(reply.text).toContain(`data-content-url="/office/s/${session.fileId}/content?access_token=${session.accessToken}"`);
    expect(reply.text).toContain('data-kind="pdf"');
    expect(reply.text).toContain('<script src="/office/static/pdf.min.js" defer></script>');
    expect(reply.text).toContain('<span class="user">Ann</span>');
    // Nothing inline: the CSP would block it.
    expect(reply.text).not.toMatch(/<script>|<style>| style=/);
    expect(read).not.toHaveBeenCalled();
  });

  it('escapes the file name and the user name', async () => {
    // Prepare
    const session = open(grant('"><img src=x onerror=alert(1)>.pdf', { user: { Name: '<script>x</script>' } }));

    // Act
    const reply = await get(`${session.page}&access_token=${session.accessToken}`);

    // Assess
    expect(reply.text).not.toContain('<img src=x');
    expect(reply.text).not.toContain('<script>x');
    expect(reply.text).toContain(escapeHtml('"><img src=x onerror=alert(1)>.pdf'));
    expect(escapeHtml(`<a href="x" title='y'>&\``)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#96;');
  });

  it.each([
    ['no token', (s: { page: string }) => [s.page, {}]],
    ['an unknown token', (s: { page: string }) => [`${s.page}&access_token=${'0'.repeat(32)}`, {}]],
    ['a token of another file', (s: { accessToken: string }) => [`/office/s/${'a'.repeat(32)}?access_token=${s.accessToken}`, {}]],
    ['an unknown bearer token on the content', (s: { content: string }) => [s.content, { authorization: 'Bearer nope' }]],
  ])('answers %s with the 401 page and reads nothing', async (_name, pick) => {
    // Prepare
    const [url, headers] = pick(open(grant('report.pdf'))) as [string, Record<string, string>];

    // Act
    const reply = await get(url, headers);

    // Assess
    expect(reply.status).toBe(401);
    expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(reply.text).toContain('The access token is invalid or expired');
    expect(reply.text).toContain('POST /documents/preview/refresh');
    expect(read).not.toHaveBeenCalled();
  });

  it('serves the document to a bearer token, read as IMM with the session\'s CredentialConfig', async () => {
    // Prepare
    const credentialConfig = { Chain: [{ AssumeRoleFor: '1000000000000001', Role: 'reader', RoleType: 'user' as const }] };
    const g = grant('report.pdf', { credentialConfig });
    const session = open(g);

    // Act
    const reply = await get(session.content, { authorization: `Bearer ${session.accessToken}` });

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject({ 'content-type': 'application/pdf', 'cache-control': 'no-store', 'content-length': PDF.length });
    expect(reply.body.equals(PDF)).toBe(true);
    expect(reply.writes).toBe(2);
    expect(read).toHaveBeenCalledWith(PROJECT, g.source, credentialConfig);
  });

  it('answers HEAD on the document with its headers and no body', async () => {
    // Prepare
    const session = open(grant('report.pdf'));

    // Act
    const reply = await get(`${session.content}?access_token=${session.accessToken}`, {}, 'HEAD');

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers).toMatchObject({ 'content-type': 'application/pdf', 'content-length': PDF.length });
    expect(reply.body.length).toBe(0);
  });

  it('refuses a document that grew past 200 MB since the token was issued, before sending a byte of it', async () => {
    // Prepare: only the size is looked at, so the stream never has to hold 200 MB.
    const stream = Readable.from([PDF]);
    const session = open(grant('report.pdf'));
    const viewerOverOpen = createViewer({ tokens, data: { open: async () => ({ size: 200 * 1024 * 1024 + 1, stream }) } as unknown as DataAccess });
    const res = new FakeResponse();

    // Act
    await viewerOverOpen({ method: 'GET', url: `${session.content}?access_token=${session.accessToken}`, headers: {} } as unknown as IncomingMessage, res as unknown as ServerResponse);

    // Assess
    expect(res.status).toBe(400);
    expect(Buffer.concat(res.chunks).toString('utf8')).toContain('WebOffice previews files up to 200 MB');
    expect(stream.destroyed).toBe(true);
  });

  it('converts a text file to PDF for pdf.js', async () => {
    // Prepare
    read.mockResolvedValue(Buffer.from('hello from a text file\n'));
    const session = open(grant('notes.txt'));

    // Act
    const reply = await get(`${session.content}?access_token=${session.accessToken}`);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/pdf');
    expect(reply.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('shows an image as an <img> and serves it with its own type', async () => {
    // Prepare
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    read.mockResolvedValue(png);
    const session = open(grant('photo.png'));

    // Act
    const page = await get(`${session.page}&access_token=${session.accessToken}`);
    const content = await get(`${session.content}?access_token=${session.accessToken}`);

    // Assess
    expect(page.text).toContain(`<img id="image" src="/office/s/${session.fileId}/content?access_token=${session.accessToken}" alt="photo.png">`);
    expect(page.text).not.toContain('pdf.min.js');
    expect(content.headers['content-type']).toBe('image/png');
    expect(content.body.equals(png)).toBe(true);
  });

  it('answers a read IMM is refused with the status and message of the IMM error, escaped', async () => {
    // Prepare
    read.mockRejectedValue(immErrors.fileAccessForbidden('the bucket `test-bucket-2024` denied <IMM>'));
    const session = open(grant('report.pdf'));

    // Act
    const reply = await get(`${session.content}?access_token=${session.accessToken}`);

    // Assess
    expect(reply.status).toBe(403);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.text).toContain('data-code="AccessDenied"');
    expect(reply.text).toContain('File access forbidden: the bucket &#96;test-bucket-2024&#96; denied &#60;IMM&#62;');
  });

  it('explains that Office files need LibreOffice when it is not installed', async () => {
    // Prepare
    const available = await sofficeAvailable();
    const session = open(grant('memo.docx'));

    // Act
    const reply = await get(`${session.page}&access_token=${session.accessToken}`);

    // Assess
    if (available) {
      expect(reply.status).toBe(200);
    } else {
      expect(reply.status).toBe(501);
      expect(reply.text).toContain('data-code="UnsupportedInLocalStack"');
      expect(reply.text).toContain('apt-get install -y libreoffice');
    }
  });

  it.each([
    ['pdf.min.js', 200, 'text/javascript; charset=utf-8'],
    ['pdf.worker.min.js', 200, 'text/javascript; charset=utf-8'],
    ['viewer.js', 200, 'text/javascript; charset=utf-8'],
    ['viewer.css', 200, 'text/css; charset=utf-8'],
    ['cmaps/78-EUC-H.bcmap', 200, 'application/octet-stream'],
    ['standard_fonts/FoxitSerif.pfb', 200, 'application/octet-stream'],
    ['cmaps/..%2F..%2Fpackage.json', 404, 'text/html; charset=utf-8'],
    ['../../package.json', 404, 'text/html; charset=utf-8'],
    ['tokens.ts', 404, 'text/html; charset=utf-8'],
  ])('serves static/%s with %i', async (name, status, contentType) => {
    // Act
    const reply = await get(`/office/static/${name}`);

    // Assess
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toBe(contentType);
    if (status === 200) expect(reply.headers['cache-control']).toBe('public, max-age=3600');
  });
});
