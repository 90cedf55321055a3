// The HTML the local WebOffice viewer answers with. No inline script or style (the CSP allows only self):
// the page hands its parameters to /office/static/viewer.js in data- attributes. Every value placed in
// HTML goes through escapeHtml, file names and user names included.
import type { DocumentKind } from './params';
import type { WebofficeSession } from './tokens';

export const STATIC_PREFIX = '/office/static/';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, bodyAttributes: Record<string, string>, content: string, scripts: readonly string[] = []): string {
  const attributes = Object.entries(bodyAttributes)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<link rel="icon" href="${STATIC_PREFIX}favicon.svg" type="image/svg+xml">`,
    `<link rel="stylesheet" href="${STATIC_PREFIX}viewer.css">`,
    ...scripts.map((src) => `<script src="${STATIC_PREFIX}${src}" defer></script>`),
    '</head>',
    `<body${attributes}>`,
    content,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(session: WebofficeSession): string {
  const who = session.user?.Name ?? session.user?.Id;
  return [
    '<header class="bar">',
    `<h1>${escapeHtml(session.filename)}</h1>`,
    // The emulator only shows documents; editing needs the cloud's WebOffice.
    '<span class="badge">read-only · local IMM</span>',
    ...(who === undefined ? [] : [`<span class="user">${escapeHtml(who)}</span>`]),
    '</header>',
  ].join('\n');
}

/** The viewer: pdf.js renders `contentUrl` (PDFs, and text or Office files converted to PDF); images are an <img>. */
export function viewerPage(session: WebofficeSession, kind: DocumentKind, contentUrl: string, maxPages: number): string {
  const title = `${session.filename} · WebOffice (local IMM)`;
  if (kind === 'image') {
    const content = [header(session), '<p id="status" role="status">Loading…</p>', `<main id="pages"><img id="image" src="${escapeHtml(contentUrl)}" alt="${escapeHtml(session.filename)}"></main>`].join('\n');
    return layout(title, { 'data-state': 'loading', 'data-kind': 'image' }, content, ['viewer.js']);
  }
  const content = [header(session), '<p id="status" role="status">Loading…</p>', '<main id="pages"></main>'].join('\n');
  return layout(
    title,
    {
      'data-state': 'loading',
      'data-kind': 'pdf',
      'data-content-url': contentUrl,
      'data-max-pages': String(maxPages),
      'data-worker-src': `${STATIC_PREFIX}pdf.worker.min.js`,
      'data-cmap-url': `${STATIC_PREFIX}cmaps/`,
      'data-standard-font-url': `${STATIC_PREFIX}standard_fonts/`,
    },
    content,
    ['pdf.min.js', 'viewer.js'],
  );
}

/** 401: what a browser sees with a missing, unknown or expired access token. */
export function invalidTokenPage(): string {
  return layout('Access token invalid or expired · WebOffice (local IMM)', { 'data-state': 'error', 'data-code': 'InvalidToken' }, [
    '<main class="message">',
    '<h1>The access token is invalid or expired</h1>',
    '<p id="status" class="error">This preview link needs a valid <code>access_token</code> (or an <code>Authorization: Bearer</code> header). Access tokens last 30 minutes unless the local stack was started with another <code>LOCAL_WEBOFFICE_ACCESS_TTL_SECONDS</code>.</p>',
    '<p>Get a new pair with <code>POST /documents/preview/refresh {"accessToken", "refreshToken"}</code> on the api (IMM RefreshWebofficeToken), ' +
      'or a new link with <code>POST /documents/preview {"uri"}</code> (IMM GenerateWebofficeToken), then open this page again with the new access token.</p>',
    '</main>',
  ].join('\n'));
}

/** Anything else the viewer cannot show: the document is gone, IMM may no longer read it, the emulator cannot convert it. */
export function problemPage(code: string, message: string): string {
  return layout(`${code} · WebOffice (local IMM)`, { 'data-state': 'error', 'data-code': code }, [
    '<main class="message">',
    `<h1>${escapeHtml(code)}</h1>`,
    `<p id="status" class="error">${escapeHtml(message)}</p>`,
    '</main>',
  ].join('\n'));
}
