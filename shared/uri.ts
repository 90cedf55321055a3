// `oss://<bucket>/<key>` URIs, validated by OSS's own naming rules before anything is sent anywhere.
import { ownHint } from './errorHints';
import { BadRequestError } from './errors';

export interface OssLocation {
  bucket: string;
  key: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const MAX_KEY_BYTES = 1023;
const URI_HINT = ownHint('InvalidUri');

function invalid(message: string): BadRequestError {
  return new BadRequestError(message, URI_HINT, 'InvalidUri');
}

export function parseOssUri(uri: unknown): OssLocation {
  if (typeof uri !== 'string' || uri.length === 0) throw invalid('`uri` must be a non-empty string');
  if (!uri.startsWith('oss://')) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
    throw invalid(scheme ? `unsupported URI scheme \`${scheme}\`: only \`oss\` is accepted` : `\`${truncate(uri)}\` is not an oss:// URI`);
  }
  const rest = uri.slice('oss://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!bucket) throw invalid('the URI names no bucket');
  if (!BUCKET_NAME.test(bucket)) throw invalid(`\`${truncate(bucket)}\` is not a valid bucket name (3–63 of a-z, 0-9 and -, starting and ending with a letter or digit)`);
  validateKey(key);
  return { bucket, key };
}

export function validateKey(key: string): void {
  if (!key) throw invalid('the URI names no object key');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw invalid(`the object key is longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/') || key.startsWith('\\')) throw invalid('the object key must not start with `/` or `\\`');
  const problem = keyProblem(key);
  if (problem) throw invalid(problem);
}

/**
 * Why a key is unsafe to act on, or undefined. Control characters (NUL above all), `.`/`..` segments and empty
 * segments (`//`): OSS stores such keys, but no legitimate caller needs them, they are how path-traversal tricks
 * start, and an HTTP client normalises `.`/`..` segments out of a URL (WHATWG URL), so a request on such a key
 * reaches another object than the one it was signed for. The api refuses them (400), on-upload skips them
 * (`InvalidKey`). A trailing `/` (a folder marker) is no empty segment.
 */
export function keyProblem(key: string): string | undefined {
  if (hasControlCharacter(key)) return 'the object key contains control characters';
  if (hasDotSegment(key)) return 'the object key must not contain `.` or `..` path segments';
  if (key.includes('//')) return 'the object key must not contain an empty path segment (`//`)';
  return undefined;
}

export function hasControlCharacter(key: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(key);
}

/** `\` counts as a separator too: a WHATWG URL treats it as `/` in http(s) paths. */
export function hasDotSegment(key: string): boolean {
  return key.split(/[/\\]/).some((segment) => segment === '..' || segment === '.');
}

export function formatOssUri(location: OssLocation): string {
  return `oss://${location.bucket}/${location.key}`;
}

function truncate(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}
