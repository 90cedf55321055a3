// The signature MNS puts on every HTTP push (MNS "Sign a request that is sent to an endpoint",
// alibabacloud.com/help/doc-detail/27488.htm): RSA-SHA1, Base64 in `Authorization`, over
//   VERB\nCONTENT-MD5\nCONTENT-TYPE\nDATE\n + CanonicalizedMNSHeaders + CanonicalizedResource
// where CanonicalizedMNSHeaders are the `x-mns-*` headers, names lower-cased and sorted, each `name:value\n`,
// and CanonicalizedResource is the request path. The signature covers Content-MD5 but not the body itself,
// so the body counts as signed only once it matches Content-MD5 (checked here too).
import { createHash, verify, type KeyObject } from 'node:crypto';
import { ownHint } from '../errorHints';
import { BadRequestError, ForbiddenError } from '../errors';

export interface PushRequest {
  method: string;
  /** The request path MNS signed: the path of the subscription's endpoint URL. */
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function stringToSign(request: PushRequest): string {
  const h = request.headers;
  const mnsHeaders = Object.keys(h)
    .filter((name) => name.startsWith('x-mns-'))
    .sort()
    .map((name) => `${name}:${h[name]}\n`)
    .join('');
  // The content type is signed lower-cased (doc-detail/27488: "must be in lowercase").
  return `${request.method.toUpperCase()}\n${h['content-md5'] ?? ''}\n${(h['content-type'] ?? '').toLowerCase()}\n${h.date ?? ''}\n${mnsHeaders}${request.path}`;
}

/** Throws 403 unless `Authorization` is an RSA-SHA1 signature of the request by `publicKey`. */
export function verifySignature(request: PushRequest, publicKey: KeyObject): void {
  const authorization = (request.headers.authorization ?? '').trim();
  if (!BASE64.test(authorization)) throw new BadRequestError('the Authorization header is not a Base64 signature', PUSH_HINT, 'MnsPushMalformed');
  let valid = false;
  try {
    valid = verify('sha1', Buffer.from(stringToSign(request)), publicKey, Buffer.from(authorization, 'base64'));
  } catch {
    // A signature of the wrong length for the key, for instance: as invalid as any other.
  }
  if (!valid) throw new ForbiddenError('MnsSignatureInvalid', 'the MNS signature does not match the request', PUSH_HINT);
}

/**
 * Throws unless Content-MD5 matches the body. Pushes carry it as Base64 of the hex digest (doc-detail/27488's
 * example) or as upper-case hex (a SIMPLIFIED push captured in 2023); Base64 of the raw digest, the HTTP
 * standard form, is accepted too. Without it the body would be unsigned, so it is required.
 */
export function checkContentMd5(request: PushRequest): void {
  const sent = (request.headers['content-md5'] ?? '').trim();
  if (!sent) throw new BadRequestError('the push has no Content-MD5 header, so its body is not covered by the signature', PUSH_HINT, 'MnsPushMalformed');
  const digest = createHash('md5').update(request.body).digest();
  const hex = digest.toString('hex');
  let matches = false;
  if (/^[0-9a-f]{32}$/i.test(sent)) matches = sent.toLowerCase() === hex;
  else if (BASE64.test(sent)) {
    const decoded = Buffer.from(sent, 'base64');
    matches = decoded.length === 16 ? decoded.equals(digest) : decoded.toString('latin1').toLowerCase() === hex;
  }
  if (!matches) throw new ForbiddenError('MnsBodyMismatch', 'the body does not match the signed Content-MD5: it was changed after MNS signed it', PUSH_HINT);
}

/** Every refused push has the same fix (shared/errorHints.ts). */
export const PUSH_HINT = ownHint('MnsSignatureInvalid');
