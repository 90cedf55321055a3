// Protocol layer, part 1: turns an HTTP request into bucket, key, query and headers.
//
// Addressing (reference/local-stack.md §1.4):
// - Host `<bucket>.oss-<region>[-internal].aliyuncs.com`: virtual-host style, the whole path is the key.
//   ali-oss sends this Host when its endpoint is an IP address.
// - Any other Host (`localhost:PORT`, `127.0.0.1:PORT`): path style, `/<bucket>/<key>`. This is what
//   ali-oss sends with `endpoint: 'http://localhost:PORT', sldEnable: true`.
import type { IncomingMessage } from 'node:http';
import { ossErrors } from './errors';
import type { QueryParam, SigningInput } from './signature';

export interface OssHttpRequest extends SigningInput {
  /** Host header as sent; echoed as HostId in errors. */
  host: string;
  /** First value of each query parameter; `null` when it had no `=`. */
  params: ReadonlyMap<string, string | null>;
  sourceIp: string;
  userAgent?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const VIRTUAL_HOST = /^([^.]+)\.oss-[a-z0-9-]+\.aliyuncs\.com$/i;

export function parseRequest(req: IncomingMessage): OssHttpRequest {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = parseQuery(q < 0 ? '' : rawUrl.slice(q + 1));
  const headers = decodeHeaders(req);
  const host = headers.host ?? '';

  let bucket: string | undefined;
  let key: string | undefined;
  const virtual = VIRTUAL_HOST.exec(hostName(host));
  if (virtual) {
    bucket = virtual[1].toLowerCase();
    key = decodePath(rawPath.slice(1));
  } else {
    const path = rawPath.slice(1);
    const slash = path.indexOf('/');
    const first = decodePath(slash < 0 ? path : path.slice(0, slash));
    if (first !== '') {
      bucket = first;
      key = slash < 0 ? '' : decodePath(path.slice(slash + 1));
    }
  }
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) throw ossErrors.invalidBucketName(bucket);

  const params = new Map<string, string | null>();
  for (const [name, value] of query) if (!params.has(name)) params.set(name, value);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    headers,
    bucket,
    key: key === '' ? undefined : key,
    query,
    params,
    host,
    sourceIp: normalizeIp(req.socket.remoteAddress ?? ''),
    userAgent: headers['user-agent'],
  };
}

/** Splits a raw query string, keeping `a` (no `=`, value null) apart from `a=` (value ''). `+` means space. */
export function parseQuery(raw: string): QueryParam[] {
  if (!raw) return [];
  return raw
    .split('&')
    .filter(Boolean)
    .map((pair): QueryParam => {
      const eq = pair.indexOf('=');
      const name = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
      return [name, eq < 0 ? null : decodeQueryPart(pair.slice(eq + 1))];
    });
}

function decodeQueryPart(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, '%20'));
  } catch {
    throw ossErrors.invalidArgument(`The query string holds a malformed escape: \`${text}\`.`);
  }
}

function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw ossErrors.invalidObjectName(`the path holds a malformed escape: \`${text}\``);
  }
}

/**
 * Node hands header bytes over as latin1 text. Clients send UTF-8 (ali-oss with `headerEncoding: 'latin1'`
 * sends the UTF-8 bytes of the value), so non-ASCII values are re-read as UTF-8 before signing or storing.
 */
function decodeHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    headers[name] = /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
  }
  return headers;
}

function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** A header value as Node can send it: UTF-8 bytes written as latin1 characters. */
export function headerValue(text: string): string {
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}
