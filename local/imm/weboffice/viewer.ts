// The local stand-in for IMM's WebOffice front end, on the IMM server itself (GET only; RPC stays POST /):
//
//   GET /office/s/<fileId>?_w_tokentype=1&access_token=<AccessToken>   the viewer page (HTML)
//   GET /office/s/<fileId>/content?access_token=<AccessToken>           the document the page renders
//   GET /office/static/<file>                                           pdf.js and the viewer's own script and CSS
//
// The browser presents the access token as the `access_token` query parameter (standing in for the WebOffice JS
// SDK's `setToken`), or as `Authorization: Bearer <AccessToken>`. A missing, unknown or expired token, or one
// issued for another file, is 401 with a page that says how to get a new one. Responses are never cached,
// never sniffed, never send a Referer (the token is in the URL), and the CSP allows only this origin: no
// inline script, no eval (pdf.js runs with isEvalSupported false). Tokens are never logged. The document is
// streamed (./content.ts): its status and headers are sent once OSS said yes, then its bytes as they come.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { DataAccess } from '../DataAccess';
import { ImmError } from '../errors';
import { OfficeConversionError, sofficeAvailable } from '../office';
import { staticAsset } from './assets';
import { documentContent, type DocumentContent } from './content';
import { invalidTokenPage, problemPage, viewerPage } from './pages';
import { documentKind, extension, MAX_PREVIEW_PAGES } from './params';
import type { WebofficeTokenStore } from './tokens';

const PREFIX = '/office/';
const STATIC = /^\/office\/static\/(.+)$/;
const DOCUMENT = /^\/office\/s\/([0-9a-f]{32})(\/content)?$/;

/** What GenerateWebofficeToken answers as WebofficeURL: this server as the request reached it. */
export function viewerUrl(host: string, fileId: string): string {
  return `http://${host}/office/s/${fileId}?_w_tokentype=1`;
}

/** GET and HEAD under /office/ belong to the viewer; everything else is RPC. */
export function isViewerRequest(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.url ?? '').startsWith(PREFIX);
}

const HEADERS = {
  'x-content-type-options': 'nosniff',
  // Only this origin. No frame-ancestors: the WebOffice SDK embeds the page in the customer's own site.
  'content-security-policy': "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
  'referrer-policy': 'no-referrer',
};

export interface ViewerOptions {
  tokens: WebofficeTokenStore;
  /** IMM's identity towards the data: the document is read at view time, as in the cloud. */
  data: DataAccess;
}

export function createViewer(options: ViewerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://imm.local');
    try {
      const asset = STATIC.exec(url.pathname);
      if (asset) {
        const found = await staticAsset(asset[1]);
        if (!found) return send(res, 404, html(problemPage('NotFound', 'no such file in the viewer')));
        // Library files change only with the package: a browser may keep them for an hour.
        return send(res, 200, { contentType: found.contentType, body: found.body }, 'public, max-age=3600');
      }
      const route = DOCUMENT.exec(url.pathname);
      if (!route) return send(res, 404, html(problemPage('NotFound', 'no such page: WebOffice URLs look like /office/s/<fileId>')));
      const [, fileId, content] = route;
      const session = options.tokens.authorize(accessToken(req, url) ?? '', fileId);
      if (!session) return send(res, 401, html(invalidTokenPage()), undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });

      const kind = documentKind(session.filename);
      if (content) return await stream(req, res, url, await documentContent(session, options.data));
      if (kind === 'office' && !(await sofficeAvailable())) {
        const message =
          `previewing \`.${extension(session.filename)}\` needs LibreOffice in the local stack: install it (\`apt-get install -y libreoffice\`) ` +
          'so that `soffice` is on PATH; real IMM shows it';
        return send(res, 501, html(problemPage('UnsupportedInLocalStack', message)));
      }
      // The content URL carries the same token: the page is only ever as good as the token it was opened with.
      const contentUrl = `/office/s/${fileId}/content?access_token=${encodeURIComponent(accessToken(req, url) ?? '')}`;
      return send(res, 200, html(viewerPage(session, kind === 'image' ? 'image' : 'pdf', contentUrl, session.previewPages ?? MAX_PREVIEW_PAGES)));
    } catch (error) {
      if (error instanceof ImmError) return send(res, error.status, html(problemPage(error.code, error.message)));
      if (error instanceof OfficeConversionError) {
        const status = error.code === 'UnsupportedInLocalStack' ? 501 : error.code === 'InvalidFile' ? 422 : 500;
        return send(res, status, html(problemPage(error.code, error.message)));
      }
      // The path only: the query holds the token.
      console.error(`imm emulator: weboffice viewer ${url.pathname}: ${String((error as Error)?.stack ?? error)}`);
      return send(res, 500, html(problemPage('InternalError', 'the viewer failed: see the emulator log')));
    }
  };
}

/**
 * Sends a document as it is read. Once the headers are out, a failure can only cut the response short: a browser
 * that went away is not worth a log line, a read that broke is logged (the path only: the query holds the token).
 */
async function stream(req: IncomingMessage, res: ServerResponse, url: URL, content: DocumentContent): Promise<void> {
  try {
    res.writeHead(200, {
      ...HEADERS,
      'content-disposition': 'inline',
      'cache-control': 'no-store',
      'content-type': content.contentType,
      'content-length': content.size,
    });
    if (req.method === 'HEAD') {
      content.stream.destroy();
      res.end();
      return;
    }
    await pipeline(content.stream, res);
  } catch (error) {
    if ((error as { code?: unknown })?.code !== 'ERR_STREAM_PREMATURE_CLOSE') {
      console.error(`imm emulator: weboffice viewer ${url.pathname}: the document broke off: ${String((error as Error)?.message ?? error)}`);
    }
    content.stream.destroy();
    res.destroy();
  } finally {
    await content.dispose();
  }
}

/** `Authorization: Bearer <token>` first, then `?access_token=`. */
function accessToken(req: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  return bearer ?? url.searchParams.get('access_token') ?? undefined;
}

function html(text: string): { contentType: string; body: Buffer } {
  return { contentType: 'text/html; charset=utf-8', body: Buffer.from(text) };
}

function send(res: ServerResponse, status: number, payload: { contentType: string; body: Buffer }, cacheControl = 'no-store', extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...HEADERS,
    ...extra,
    'cache-control': cacheControl,
    'content-type': payload.contentType,
    'content-length': payload.body.length,
  });
  res.end(payload.body);
}
