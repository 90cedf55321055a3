// Function Compute's own request signature, `Authorization: FC <AccessKeyID>:<signature>`, verified independently
// of any SDK code. This is the scheme `@alicloud/fc2` signs with, also when fc3 points it at FC 3.0's
// `/2023-03-30/...` paths (reference/deploy.md §5).
//
// Sources:
// - FC's "Signature authentication" (alibabacloud.com/help/en/functioncompute/signature-authentication, also
//   help.aliyun.com/zh/fc/developer-reference/signature-authentication):
//     signature = base64(hmac-sha256(secret, METHOD\n CONTENT-MD5\n CONTENT-TYPE\n DATE\n
//                                            CanonicalizedFCHeaders CanonicalizedResource))
//   CONTENT-MD5 and CONTENT-TYPE are empty when absent; DATE is required, RFC 1123 GMT, within 15 minutes of the
//   server; CanonicalizedFCHeaders is every `x-fc-*` header, names lower-cased and sorted, each `name:value\n`;
//   CanonicalizedResource is the URL-decoded path without its query (a `/proxy/` HTTP-trigger path appends its
//   sorted parameters, which this API never serves). A missing or invalid signature is answered with 403.
// - What fc2 2.6.6 actually sends (node_modules/@alicloud/fc2/lib/client.js `request`, `getSignature`;
//   lib/helper.js `composeStringToSign`): `date` from Date#toUTCString, `x-fc-account-id` always,
//   `x-fc-security-token` for STS keys, and for a body `content-md5` = base64 of the body's *hex* MD5 digest.
// - Error codes and statuses: FC's error code table (alibabacloud.com/help/en/functioncompute/error-codes):
//   403 SignatureNotMatch, 403 InvalidAccessKeyID, 400 MissingRequiredHeader.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessKey, Caller, KeyLookup } from './ram';

/** "The time difference between the client and the server must not exceed 15 minutes" (the signature doc). */
export const FC_MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Header values by lower-case name, repeated headers as arrays: what Node's `req.headersDistinct` gives. */
export type HeaderMap = Record<string, string | readonly string[] | undefined>;

export interface FcSignedRequest {
  method: string;
  /** The request target as received: raw path plus query, e.g. `/2023-03-30/functions/f/triggers?limit=5`. */
  url: string;
  headers: HeaderMap;
  body: Buffer;
}

export interface FcAuthError {
  status: number;
  code: string;
  message: string;
}

export type FcAuthResult = { ok: true; key: AccessKey; caller: Caller } | { ok: false; error: FcAuthError };

export interface FcSignatureVerifierOptions {
  ram: { resolveKey(accessKeyId: string, securityToken?: string): KeyLookup };
  now?: () => number;
  maxSkewMs?: number;
}

const SIGNED = ['authorization', 'date', 'content-md5', 'content-type'];
const AUTHORIZATION = /^FC ([^:\s]+):([A-Za-z0-9+/]+={0,2})$/;
// RFC 1123 in GMT, as Date#toUTCString writes it and the doc requires ("Mon, 02 Jan 2006 15:04:05 GMT").
const RFC1123 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The canonical string FC signs, from the values as received. `target` is the request target as sent: its query is
 * dropped and its path percent-decoded, as the doc's CanonicalizedResource says.
 */
export function fcStringToSign(method: string, target: string, headers: HeaderMap): string {
  const lower = lowerCased(headers);
  const fcHeaders = Object.keys(lower)
    .filter((name) => name.startsWith('x-fc-'))
    .sort()
    .map((name) => `${name}:${single(lower, name) ?? ''}\n`)
    .join('');
  return [method.toUpperCase(), single(lower, 'content-md5') ?? '', single(lower, 'content-type') ?? '', single(lower, 'date') ?? ''].join('\n') + '\n' + fcHeaders + decodePath(target.split('?')[0]);
}

/** base64(HMAC-SHA256(secret, stringToSign)). */
export function fcSignature(stringToSign: string, accessKeySecret: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('base64');
}

export function createFcSignatureVerifier(options: FcSignatureVerifierOptions) {
  const now = options.now ?? Date.now;
  const maxSkewMs = options.maxSkewMs ?? FC_MAX_CLOCK_SKEW_MS;
  return {
    verify(request: FcSignedRequest): FcAuthResult {
      for (const [name, value] of Object.entries(request.headers)) {
        // One value for each header the signature covers: with two, which one the signer meant is ambiguous.
        const signed = SIGNED.includes(name) || name.startsWith('x-fc-');
        if (signed && Array.isArray(value) && value.length > 1) return fail(400, 'InvalidArgument', `the header \`${name}\` is repeated`);
      }
      const authorization = single(request.headers, 'authorization');
      if (!authorization) return fail(403, 'AccessDenied', 'the request has no Authorization header: sign it as `FC <AccessKeyID>:<signature>`');
      const match = AUTHORIZATION.exec(authorization.trim());
      if (!match) return fail(403, 'AccessDenied', `the Authorization header must be \`FC <AccessKeyID>:<base64 signature>\`, got scheme \`${authorization.trim().split(/\s/)[0]}\``);
      const [, accessKeyId, signature] = match;

      const date = single(request.headers, 'date');
      if (!date) return fail(400, 'MissingRequiredHeader', 'required HTTP header Date was not specified');
      const signedAt = RFC1123.test(date) ? Date.parse(date) : NaN;
      if (Number.isNaN(signedAt)) return fail(400, 'InvalidArgument', `the Date header \`${date}\` must be RFC 1123 in GMT, e.g. \`Mon, 02 Jan 2006 15:04:05 GMT\``);
      const serverTime = now();
      if (Math.abs(serverTime - signedAt) > maxSkewMs) {
        // The doc says FC refuses the request; the code it answers with is UNVERIFIED (not in its error table).
        return fail(403, 'RequestTimeTooSkewed', `the Date header \`${date}\` is more than ${maxSkewMs / 60000} minutes from the server time ${new Date(serverTime).toUTCString()}`);
      }

      // The signature covers Content-MD5, not the body: the body must match it, and a body must carry it, or it
      // could be swapped under a valid signature. fc2 always sends it for a body. Requiring it is the local FC's
      // choice (whether the cloud checks it: UNVERIFIED).
      const contentMd5 = single(request.headers, 'content-md5');
      if (request.body.length > 0 && !contentMd5) return fail(400, 'MissingRequiredHeader', 'required HTTP header Content-MD5 was not specified: the local FC wants the body covered by the signature');
      if (contentMd5 !== undefined && !md5Matches(contentMd5, request.body)) return fail(400, 'InvalidArgument', 'the Content-MD5 header does not match the request body');

      const lookup = options.ram.resolveKey(accessKeyId, single(request.headers, 'x-fc-security-token'));
      if (!lookup.ok) {
        if (lookup.code === 'InvalidAccessKeyId.NotFound') return fail(403, 'InvalidAccessKeyID', `invalid access key ID '${accessKeyId}'`);
        // STS token problems: FC's codes for them are UNVERIFIED; RAM's own codes say what is wrong.
        return fail(403, lookup.code, lookup.message);
      }
      const expected = fcSignature(fcStringToSign(request.method, request.url, request.headers), lookup.key.accessKeySecret);
      if (!constantTimeEqual(expected, signature)) {
        return fail(403, 'SignatureNotMatch', 'The request signature we calculated does not match the signature you provided. Check your access key and signing method');
      }
      return { ok: true, key: lookup.key, caller: lookup.key.caller };
    },
  };
}

/** fc2 sends base64 of the hex digest; RFC 1864 says base64 of the raw digest. Either is accepted. */
function md5Matches(header: string, body: Buffer): boolean {
  const digest = createHash('md5').update(body).digest();
  return header === Buffer.from(digest.toString('hex'), 'utf8').toString('base64') || header === digest.toString('base64');
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    // A malformed escape cannot have been produced by a signer that decoded it: it stays as sent (and will not match).
    return path;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function lowerCased(headers: HeaderMap): HeaderMap {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function single(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value[0];
}

function fail(status: number, code: string, message: string): FcAuthResult {
  return { ok: false, error: { status, code, message } };
}
