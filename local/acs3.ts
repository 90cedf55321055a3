// ACS3-HMAC-SHA256, the "V3" request signature that @alicloud/openapi-core 1.0.8 (and so
// @alicloud/sts20150401 1.2.0 and the IMM SDK) sends by default, verified independently of any SDK code
// (reference/imm-sts.md §5), plus the small RPC plumbing the STS and IMM emulators share: read a request,
// merge query and form parameters, write the JSON error body openapi-core reads (§6).
//
// Verification, in order (each step's error and status is documented where it is raised):
//   1. parse `Authorization: ACS3-HMAC-SHA256 Credential=<ak>,SignedHeaders=<a;b>,Signature=<hex>`
//   2. `x-acs-date` is `YYYY-MM-DDTHH:mm:ssZ` and within 15 minutes of the server clock
//   3. `x-acs-content-sha256` equals sha256(raw body)
//   4. resolve the AccessKey (and its `x-acs-security-token`) through RAM
//   5. rebuild the canonical request: method, path, the URL-decoded query re-encoded and sorted, the
//      received values of the signed headers, the signed header list and the payload hash; HMAC-SHA256 it
//      with the key's secret and compare
//   6. refuse a `x-acs-signature-nonce` seen before within the clock window (replay)
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessKey, Caller, KeyLookup } from './ram';
import { readBody } from './server';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';
/** D-V3: "x-acs-date must be within 15 minutes of the request". */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Header values by lower-case name, repeated headers as arrays: what Node's `req.headersDistinct` gives. */
export type HeaderMap = Record<string, string | readonly string[] | undefined>;

export interface Acs3Request {
  method: string;
  /** The request target as received: path plus raw query, e.g. `/?RoleArn=acs%3Aram…`. */
  url: string;
  headers: HeaderMap;
  body: Buffer;
}

export interface Acs3Error {
  status: number;
  code: string;
  message: string;
  /** POP's `AccessDeniedDetail` for a refusal by policy (see local/sts/errors.ts). */
  accessDeniedDetail?: object;
}

export type Acs3Result = { ok: true; key: AccessKey; caller: Caller; accessKeyId: string } | { ok: false; error: Acs3Error };

export interface Acs3Verifier {
  verify(request: Acs3Request): Acs3Result;
}

export interface Acs3VerifierOptions {
  ram: { resolveKey(accessKeyId: string, securityToken?: string): KeyLookup };
  now?: () => number;
  maxSkewMs?: number;
  /**
   * Headers every signature must cover. Defaults to the RPC set, which includes `x-acs-action`; an FC HTTP
   * trigger's request names no action, so the trigger's verifier leaves it out.
   */
  alwaysSigned?: readonly string[];
}

/** Headers that must be covered by the signature when present, so that a replayed request cannot be re-aimed. */
const ALWAYS_SIGNED = ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date'];
const SIGNED_WHEN_PRESENT = ['x-acs-version', 'x-acs-security-token', 'x-acs-signature-nonce', 'content-type'];
const AUTHORIZATION = /^ACS3-HMAC-SHA256 Credential=([^,\s]+),SignedHeaders=([^,\s]+),Signature=([0-9a-fA-F]+)$/;
const ACS_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

// Statuses. Real gateway statuses are UNVERIFIED (reference §7); these follow the POP convention that a
// malformed request is 400, an unknown key 404, and a failed authentication 403.
const incomplete = (message: string): Acs3Error => ({ status: 400, code: 'IncompleteSignature', message });

export function createAcs3Verifier(options: Acs3VerifierOptions): Acs3Verifier {
  const now = options.now ?? Date.now;
  const maxSkewMs = options.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  const nonces = new NonceCache();

  return {
    verify(request) {
      const authorization = single(request.headers, 'authorization');
      if (!authorization) {
        // 400: an unsigned request is malformed for an API that has no anonymous access.
        return fail(incomplete('The request has no Authorization header: sign it with ACS3-HMAC-SHA256.'));
      }
      const match = AUTHORIZATION.exec(authorization.trim());
      if (!match) {
        const scheme = authorization.trim().split(/\s/)[0];
        return fail(
          incomplete(
            scheme === ACS3_ALGORITHM
              ? 'The Authorization header must be `ACS3-HMAC-SHA256 Credential=<AccessKeyId>,SignedHeaders=<h1;h2>,Signature=<hex>`.'
              : `The signature algorithm \`${scheme}\` is not supported by the local emulator: use ACS3-HMAC-SHA256.`,
          ),
        );
      }
      const [, accessKeyId, signedList, signature] = match;
      const signedHeaders = signedList.split(';').map((h) => h.trim().toLowerCase());
      for (const name of options.alwaysSigned ?? ALWAYS_SIGNED) {
        if (!signedHeaders.includes(name)) return fail(incomplete(`SignedHeaders must include \`${name}\`.`));
      }
      for (const name of SIGNED_WHEN_PRESENT) {
        if (values(request.headers, name).length > 0 && !signedHeaders.includes(name)) {
          return fail(incomplete(`The header \`${name}\` is present, so SignedHeaders must include it.`));
        }
      }

      const date = single(request.headers, 'x-acs-date') ?? '';
      const signedAt = parseAcsDate(date);
      if (signedAt === undefined) {
        // 400, as POP answers a malformed timestamp.
        return fail({ status: 400, code: 'InvalidTimeStamp.Format', message: `Specified time stamp or date value is not well formatted: x-acs-date \`${date}\` must be YYYY-MM-DDTHH:mm:ssZ.` });
      }
      const serverTime = now();
      if (Math.abs(serverTime - signedAt) > maxSkewMs) {
        // 400, as POP answers an expired timestamp (its code is InvalidTimeStamp.Expired).
        return fail({
          status: 400,
          code: 'InvalidTimeStamp.Expired',
          message: `Specified time stamp or date value is expired: x-acs-date \`${date}\` is more than ${maxSkewMs / 60000} minutes from the server time ${formatAcsDate(serverTime)}.`,
        });
      }

      const payloadHash = createHash('sha256').update(request.body).digest('hex');
      const declaredHash = (single(request.headers, 'x-acs-content-sha256') ?? '').trim().toLowerCase();
      if (declaredHash !== payloadHash) {
        // 403: the body is not the one that was signed, which is a signature failure rather than a syntax error.
        return fail({
          status: 403,
          code: 'SignatureDoesNotMatch',
          message: `The request body does not match x-acs-content-sha256: the server computed ${payloadHash}, the request declares \`${declaredHash}\`.`,
        });
      }

      const token = single(request.headers, 'x-acs-security-token');
      const lookup = options.ram.resolveKey(accessKeyId, token);
      if (!lookup.ok) return fail(keyError(lookup, accessKeyId));

      const [pathname, rawQuery] = splitUrl(request.url);
      const computed = computeAcs3Signature(
        { method: request.method, pathname, query: parseQuery(rawQuery), headers: request.headers, signedHeaders, payloadHash },
        lookup.key.accessKeySecret,
      );
      if (!sameHex(computed.signature, signature.toLowerCase())) {
        // 403 SignatureDoesNotMatch; the message carries what the server signed, as POP does for V2
        // ("server string to sign is: …"), so a client author can diff it against their own.
        return fail({
          status: 403,
          code: 'SignatureDoesNotMatch',
          message:
            'Specified signature does not match our calculation. ' +
            `server string to sign is:${JSON.stringify(computed.stringToSign)}, canonical request is:${JSON.stringify(redactCanonicalRequest(computed.canonicalRequest))}`,
        });
      }

      const nonce = single(request.headers, 'x-acs-signature-nonce');
      if (nonce && !nonces.add(`${accessKeyId}\n${nonce}`, signedAt + maxSkewMs, serverTime)) {
        // 400, POP's SignatureNonceUsed.
        return fail({ status: 400, code: 'SignatureNonceUsed', message: 'Specified signature nonce was used already.' });
      }
      return { ok: true, key: lookup.key, caller: lookup.key.caller, accessKeyId };
    },
  };
}

const SECRET_PARAM = /token|secret|password/i;

/**
 * The canonical request with the security token header and secret-looking query values censored: the error
 * message travels back to the caller (and into its logs), and the hash in the string to sign is enough to diff.
 */
export function redactCanonicalRequest(canonical: string): string {
  const lines = canonical.split('\n');
  return lines
    .map((line, i) => {
      if (i === 2) {
        return line
          .split('&')
          .map((pair) => {
            const [key] = pair.split('=');
            return SECRET_PARAM.test(decodeURIComponent(key)) ? `${key}=[redacted]` : pair;
          })
          .join('&');
      }
      return /^x-acs-security-token:/i.test(line) ? 'x-acs-security-token:[redacted]' : line;
    })
    .join('\n');
}

function fail(error: Acs3Error): Acs3Result {
  return { ok: false, error };
}

function keyError(lookup: Extract<KeyLookup, { ok: false }>, _accessKeyId: string): Acs3Error {
  switch (lookup.code) {
    case 'InvalidAccessKeyId.NotFound':
      // 404 and the sentence as POP answers an unknown AccessKeyId (D-STSERR, https://www.alibabacloud.com/help/doc-detail/42775.htm;
      // the caller knows which key it sent, so the documented sentence is all the answer says).
      return { status: 404, code: 'InvalidAccessKeyId.NotFound', message: 'Specified access key is not found.' };
    case 'SecurityTokenExpired':
      // POP common errors (e.g. help.aliyun.com/en/resource-management/tag/developer-reference/api-tag-2018-08-28-errorcodes).
      return { status: 403, code: 'InvalidSecurityToken.Expired', message: 'Specified SecurityToken is expired.' };
    case 'InvalidSecurityToken':
      return { status: 403, code: 'InvalidSecurityToken.MismatchWithAccessKey', message: 'Specified SecurityToken mismatch with the AccessKey.' };
    case 'MissingSecurityToken':
      // 400, like every Missing<Parameter> error of POP.
      return { status: 400, code: 'MissingSecurityToken', message: 'SecurityToken is mandatory for this action.' };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The canonical request (reference §5). Pure, exported for tests and for anyone debugging a client.

export interface Acs3SigningInput {
  method: string;
  pathname: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  headers: HeaderMap;
  /** Lower-case names, in the order the Authorization header lists them. */
  signedHeaders: readonly string[];
  /** Hex sha256 of the body. */
  payloadHash: string;
}

export interface Acs3Signature {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export function computeAcs3Signature(input: Acs3SigningInput, secret: string): Acs3Signature {
  const canonicalUri = input.pathname.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const canonicalRequest = [
    input.method,
    canonicalUri,
    canonicalQuery(input.query),
    canonicalHeaders(input.headers, input.signedHeaders),
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
  const stringToSign = `${ACS3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
  const signature = createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
  return { canonicalRequest, stringToSign, signature };
}

/** RFC 3986 encoding: encodeURIComponent plus `!'()*`, which it leaves alone. */
export function acs3Encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((key) => `${key}=${acs3Encode(query[key])}`)
    .join('&');
}

/**
 * `name:value\n` per signed header. Header names compare case-insensitively; several values of one name
 * are trimmed, sorted and joined with `,`. A signed header that was not received counts as empty, which is
 * what the client signed if it had no value for it.
 */
export function canonicalHeaders(headers: HeaderMap, signedHeaders: readonly string[]): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const list = byName.get(lower) ?? [];
    list.push(...(typeof value === 'string' ? [value] : value).map((v) => v.trim()));
    byName.set(lower, list);
  }
  return signedHeaders.map((name) => `${name}:${(byName.get(name) ?? []).sort().join(',')}\n`).join('');
}

/**
 * The query as the client meant it. The SDK builds the URL with Node's `querystring` (which leaves `*'()!`
 * unescaped) but signs the RFC 3986 form, so the server decodes and re-encodes. `+` is decoded as a space,
 * the form-urlencoded convention. A key without `=` has the value ``; a repeated key's values are joined
 * with `,` (what the SDK would sign for an array value).
 */
export function parseQuery(raw: string): Record<string, string> {
  const query: Record<string, string> = {};
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodeComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeComponent(part.slice(eq + 1));
    query[key] = Object.prototype.hasOwnProperty.call(query, key) ? `${query[key]},${value}` : value;
  }
  return query;
}

function decodeComponent(text: string): string {
  const spaced = text.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    // A stray `%` is kept literally; the signature comparison then decides.
    return spaced;
  }
}

export function splitUrl(url: string): [pathname: string, rawQuery: string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

export function parseAcsDate(text: string): number | undefined {
  const m = ACS_DATE.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `YYYY-MM-DDTHH:mm:ssZ`, the format of x-acs-date and of STS's Expiration. */
export function formatAcsDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function single(headers: HeaderMap, name: string): string | undefined {
  const list = values(headers, name);
  return list.length ? list.join(',') : undefined;
}

function values(headers: HeaderMap, name: string): readonly string[] {
  const value = headers[name];
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Nonces seen within the clock window, forgotten once a request carrying them could no longer pass the date check. */
class NonceCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  /** False if the nonce was already used. */
  add(nonce: string, expiresAt: number, now: number): boolean {
    if (now - this.lastSweep > 60_000) {
      for (const [key, expiry] of this.seen) if (expiry < now) this.seen.delete(key);
      this.lastSweep = now;
    }
    const expiry = this.seen.get(nonce);
    if (expiry !== undefined && expiry >= now) return false;
    this.seen.set(nonce, expiresAt);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// RPC plumbing shared by the STS and IMM emulators: POST / with `x-acs-action`, parameters in the query
// (and, for some operations, a form body), JSON responses.

export interface RpcRequest extends Acs3Request {
  action: string;
  version: string;
  /** Query parameters merged with form-body parameters (the body wins on a clash). */
  params: Record<string, string>;
  sourceIp: string;
  userAgent: string;
}

/** Reads the whole request. Parameters come from the query and from an `application/x-www-form-urlencoded` body. */
export async function readRpcRequest(req: IncomingMessage, bodyLimit = 1024 * 1024): Promise<RpcRequest> {
  const body = await readBody(req, bodyLimit);
  const headers: HeaderMap = req.headersDistinct ?? req.headers;
  const url = req.url ?? '/';
  const params = parseQuery(splitUrl(url)[1]);
  const contentType = (single(headers, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith('application/x-www-form-urlencoded') && body.length > 0) {
    Object.assign(params, parseQuery(body.toString('utf8')));
  }
  return {
    method: req.method ?? 'GET',
    url,
    headers,
    body,
    action: single(headers, 'x-acs-action') ?? params.Action ?? '',
    version: single(headers, 'x-acs-version') ?? params.Version ?? '',
    params,
    sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
    userAgent: single(headers, 'user-agent') ?? '',
  };
}

/** A request id shaped like Alibaba Cloud's: an upper-case UUID. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

export function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-acs-request-id': requestId,
  });
  res.end(text);
}

/** The error body of §6; openapi-core reads Code, Message and RequestId from it. */
export function errorBody(error: Acs3Error, requestId: string, hostId: string, product: string): Record<string, unknown> {
  return {
    RequestId: requestId,
    HostId: hostId,
    Code: error.code,
    Message: error.message,
    Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=${product}`,
    ...(error.accessDeniedDetail ? { AccessDeniedDetail: error.accessDeniedDetail } : {}),
  };
}
