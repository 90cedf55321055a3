// Static files of the viewer, served from this machine (the stack runs offline, so no CDN): pdf.js's
// browser build, worker, CMaps and standard fonts from the pdfjs-dist package, and the viewer's own script
// and stylesheet from ./static. Names are matched against fixed folders, never joined from raw input.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const PDFJS = path.dirname(require.resolve('pdfjs-dist/package.json'));
const OWN = path.join(__dirname, 'static');

const FILES: Readonly<Record<string, string>> = {
  'pdf.min.js': path.join(PDFJS, 'build', 'pdf.min.js'),
  'pdf.worker.min.js': path.join(PDFJS, 'build', 'pdf.worker.min.js'),
  'viewer.js': path.join(OWN, 'viewer.js'),
  'viewer.css': path.join(OWN, 'viewer.css'),
  // Linked from every page, so that browsers do not ask the RPC endpoint for /favicon.ico.
  'favicon.svg': path.join(OWN, 'favicon.svg'),
};
/** Folders pdf.js fetches from when a PDF needs a CMap or a standard font it does not embed. */
const FOLDERS: Readonly<Record<string, string>> = {
  cmaps: path.join(PDFJS, 'cmaps'),
  standard_fonts: path.join(PDFJS, 'standard_fonts'),
};
const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  contentType: string;
  body: Buffer;
}

const cache = new Map<string, Promise<Asset | undefined>>();

/** `name` is the path after /office/static/, e.g. `pdf.min.js` or `cmaps/UniGB-UCS2-H.bcmap`. Undefined: not found. */
export function staticAsset(name: string): Promise<Asset | undefined> {
  const file = resolve(name);
  if (!file) return Promise.resolve(undefined);
  let asset = cache.get(file);
  if (!asset) {
    asset = readFile(file).then(
      (body) => ({ contentType: TYPES[path.extname(file)] ?? 'application/octet-stream', body }),
      () => {
        // A miss is not remembered: names come from requests, and the cache must not grow with them.
        cache.delete(file);
        return undefined;
      },
    );
    cache.set(file, asset);
  }
  return asset;
}

function resolve(name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(FILES, name)) return FILES[name];
  const m = /^([a-z_]+)\/([A-Za-z0-9][A-Za-z0-9._-]{0,100})$/.exec(name);
  if (!m || !Object.prototype.hasOwnProperty.call(FOLDERS, m[1]) || m[2].includes('..')) return undefined;
  return path.join(FOLDERS[m[1]], m[2]);
}
