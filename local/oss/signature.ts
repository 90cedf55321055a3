// Request signature verification for the four ways a client signs an OSS request: V1 header
// (`Authorization: OSS ak:sig`), V1 presigned URL (`?OSSAccessKeyId&Expires&Signature`), V4 header
// (`Authorization: OSS4-HMAC-SHA256 Credential=…`) and V4 presigned URL (`?x-oss-signature-version=…`).
// Written from the published algorithms (reference/local-stack.md §2), never from a client's signing
// code, so a client bug cannot hide behind a matching server bug. Pure functions: no clock, no keys.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ossErrors } from './errors';

/** One query parameter as sent: decoded name, decoded value, `null` when the parameter had no `=`. */
export type QueryParam = [name: string, value: string | null];

/** What signing covers, as the protocol layer parsed it from the HTTP request. */
export interface SigningInput {
  method: string;
  /** Lower-cased names; values as UTF-8 text (Node hands header bytes over as latin1). */
  headers: Readonly<Record<string, string>>;
  bucket?: string;
  key?: string;
  query: readonly QueryParam[];
}

export type AuthScheme = 'v1-header' | 'v1-url' | 'v4-header' | 'v4-url';

export type VerifyOutcome = { ok: true } | { ok: false; stringToSign: string; canonicalRequest?: string };

/** A signed request, parsed but not yet verified. */
export interface SignedRequest {
  scheme: AuthScheme;
  accessKeyId: string;
  securityToken?: string;
  /** The signature the client sent. */
  provided: string;
  /** Header signing: the request time as sent (NaN when missing or unreadable) and its text. */
  signedAt?: number;
  signedAtText?: string;
  /** URL signing: when the URL stops working, in epoch ms (NaN when unreadable). */
  expiresAt?: number;
  /** V4: the region and product of the credential scope. */
  region?: string;
  product?: string;
  verify(accessKeySecret: string): VerifyOutcome;
}

/**
 * The canonical V1 sub-resource whitelist (oss2 `ProviderAuth._subresource_key_set`, reference §2.1).
 * Only these query parameters are signed in V1; `prefix`, `marker`, `max-keys` and `list-type` are not.
 */
export const V1_SUBRESOURCES: ReadonlySet<string> = new Set(
  (
    'response-content-type response-content-language response-cache-control logging response-content-encoding ' +
    'acl uploadId uploads partNumber group link delete website location objectInfo objectMeta response-expires ' +
    'response-content-disposition cors lifecycle restore qos referer stat bucketInfo append position security-token ' +
    'live comp status vod startTime endTime x-oss-process symlink callback callback-var tagging encryption versions ' +
    'versioning versionId policy requestPayment x-oss-traffic-limit qosInfo asyncFetch x-oss-request-payer sequential ' +
    'inventory inventoryId continuation-token worm wormId wormExtend replication replicationLocation replicationProgress ' +
    'transferAcceleration cname metaQuery resourceGroup'
  ).split(' '),
);

const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
const V4_TERMINATOR = 'aliyun_v4_request';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Returns undefined for an anonymous request; throws OssError for a malformed signature. */
export function parseSignature(input: SigningInput): SignedRequest | undefined {
  const authorization = input.headers.authorization;
  if (authorization !== undefined && authorization !== '') {
    if (authorization.startsWith(`${V4_ALGORITHM} `)) return parseV4Header(input, authorization);
    if (authorization.startsWith('OSS ')) return parseV1Header(input, authorization);
    throw ossErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
  }
  const params = new Map<string, string | null>();
  for (const [name, value] of input.query) if (!params.has(name)) params.set(name, value);
  if (params.get('x-oss-signature-version') !== undefined) return parseV4Url(input, params);
  if (params.has('OSSAccessKeyId') || params.has('Signature') || params.has('Expires')) return parseV1Url(input, params);
  return undefined;
}

// ---- V1 ------------------------------------------------------------------------------------------

function parseV1Header(input: SigningInput, authorization: string): SignedRequest {
  const credential = authorization.slice(4).trim();
  const colon = credential.lastIndexOf(':');
  if (colon <= 0 || colon === credential.length - 1) throw ossErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
  const dateText = input.headers['x-oss-date'] || input.headers.date || '';
  return {
    scheme: 'v1-header',
    accessKeyId: credential.slice(0, colon),
    securityToken: tokenOf(input),
    provided: credential.slice(colon + 1),
    signedAt: Date.parse(dateText),
    signedAtText: dateText,
    verify: (secret) => {
      const stringToSign = v1StringToSign(input, dateText);
      return matches(v1Sign(secret, stringToSign), credential.slice(colon + 1)) ? { ok: true } : { ok: false, stringToSign };
    },
  };
}

function parseV1Url(input: SigningInput, params: Map<string, string | null>): SignedRequest {
  const accessKeyId = params.get('OSSAccessKeyId');
  const expires = params.get('Expires');
  const signature = params.get('Signature');
  if (!accessKeyId || !expires || !signature) {
    throw ossErrors.accessDenied('Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters');
  }
  return {
    scheme: 'v1-url',
    accessKeyId,
    securityToken: tokenOf(input),
    provided: signature,
    expiresAt: /^\d+$/.test(expires) ? Number(expires) * 1000 : Number.NaN,
    verify: (secret) => {
      const stringToSign = v1StringToSign(input, expires);
      return matches(v1Sign(secret, stringToSign), signature) ? { ok: true } : { ok: false, stringToSign };
    },
  };
}

/** VERB, Content-MD5, Content-Type, Date (or Expires), the sorted `x-oss-*` headers, the canonical resource. */
export function v1StringToSign(input: SigningInput, dateLine: string): string {
  const h = input.headers;
  const ossHeaders = Object.keys(h)
    .filter((name) => name.startsWith('x-oss-'))
    .sort()
    .map((name) => `${name}:${h[name].trim()}\n`)
    .join('');
  let resource = `/${input.bucket ? `${input.bucket}/` : ''}${input.key ?? ''}`;
  const sub = input.query.filter(([name]) => V1_SUBRESOURCES.has(name)).sort((a, b) => ordinal(a[0], b[0]));
  if (sub.length > 0) resource += `?${sub.map(([name, value]) => (value === null || value === '' ? name : `${name}=${value}`)).join('&')}`;
  return `${[input.method, h['content-md5'] ?? '', h['content-type'] ?? '', dateLine].join('\n')}\n${ossHeaders}${resource}`;
}

function v1Sign(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSign, 'utf8')).digest('base64');
}

// ---- V4 ------------------------------------------------------------------------------------------

interface V4Scope {
  accessKeyId: string;
  date8: string;
  region: string;
  product: string;
}

function parseScope(credential: string, where: string): V4Scope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== V4_TERMINATOR || !/^\d{8}$/.test(parts[1]) || !parts[0]) {
    throw ossErrors.invalidArgument(`${where} is invalid: expected \`<AccessKeyId>/<yyyymmdd>/<region>/oss/${V4_TERMINATOR}\`.`, where, credential);
  }
  return { accessKeyId: parts[0], date8: parts[1], region: parts[2], product: parts[3] };
}

function parseV4Header(input: SigningInput, authorization: string): SignedRequest {
  const fields = new Map<string, string>();
  // ali-oss joins the fields with `,`, the documentation with `, `: accept both.
  for (const part of authorization.slice(V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (!credential || !signature) throw ossErrors.invalidArgument('Authorization header is invalid: it needs Credential and Signature.', 'Authorization', authorization);
  const scope = parseScope(credential, 'Credential');
  const additional = splitAdditional(fields.get('AdditionalHeaders'));
  const timestamp = input.headers['x-oss-date'] ?? '';
  checkScopeDate(scope, timestamp);
  return {
    scheme: 'v4-header',
    accessKeyId: scope.accessKeyId,
    securityToken: tokenOf(input),
    provided: signature,
    signedAt: parseIsoBasic(timestamp),
    signedAtText: timestamp,
    region: scope.region,
    product: scope.product,
    verify: (secret) => verifyV4(input, scope, timestamp, additional, signature, secret, false),
  };
}

function parseV4Url(input: SigningInput, params: Map<string, string | null>): SignedRequest {
  const version = params.get('x-oss-signature-version');
  if (version !== V4_ALGORITHM) throw ossErrors.invalidArgument(`x-oss-signature-version must be ${V4_ALGORITHM}.`, 'x-oss-signature-version', version ?? '');
  const credential = params.get('x-oss-credential');
  const timestamp = params.get('x-oss-date');
  const expires = params.get('x-oss-expires');
  const signature = params.get('x-oss-signature');
  if (!credential || !timestamp || !expires || !signature) {
    throw ossErrors.accessDenied('Query-string authentication V4 requires the x-oss-credential, x-oss-date, x-oss-expires and x-oss-signature parameters');
  }
  const scope = parseScope(credential, 'x-oss-credential');
  checkScopeDate(scope, timestamp);
  if (!/^\d+$/.test(expires) || Number(expires) <= 0 || Number(expires) > 7 * 24 * 3600) {
    // "Signature V4 limits signed URL validity to 7 days" (reference §2.3).
    throw ossErrors.invalidArgument('x-oss-expires must be between 1 and 604800 seconds.', 'x-oss-expires', expires);
  }
  const additional = splitAdditional(params.get('x-oss-additional-headers') ?? undefined);
  return {
    scheme: 'v4-url',
    accessKeyId: scope.accessKeyId,
    securityToken: tokenOf(input),
    provided: signature,
    expiresAt: parseIsoBasic(timestamp) + Number(expires) * 1000,
    signedAt: parseIsoBasic(timestamp),
    signedAtText: timestamp,
    region: scope.region,
    product: scope.product,
    verify: (secret) => verifyV4(input, scope, timestamp, additional, signature, secret, true),
  };
}

function checkScopeDate(scope: V4Scope, timestamp: string): void {
  if (!/^\d{8}T\d{6}Z$/.test(timestamp)) {
    throw ossErrors.accessDenied(`V4 signing needs x-oss-date as yyyymmddTHHMMSSZ, got \`${timestamp}\``);
  }
  if (!timestamp.startsWith(scope.date8)) {
    throw ossErrors.invalidArgument(`The credential date \`${scope.date8}\` does not match x-oss-date \`${timestamp}\`.`, 'x-oss-date', timestamp);
  }
}

function splitAdditional(value: string | undefined): string[] {
  if (!value) return [];
  return [...new Set(value.split(';').map((v) => v.trim().toLowerCase()).filter(Boolean))].sort();
}

function verifyV4(
  input: SigningInput,
  scope: V4Scope,
  timestamp: string,
  additional: string[],
  provided: string,
  secret: string,
  presigned: boolean,
): VerifyOutcome {
  const missing = additional.find((name) => input.headers[name] === undefined);
  let first: VerifyOutcome | undefined;
  for (const emptyStyle of v4EmptyStyles(input.query)) {
    const canonicalRequest = v4CanonicalRequest(input, additional, presigned, emptyStyle);
    const stringToSign = v4StringToSign(scope, timestamp, canonicalRequest);
    if (!missing && matches(v4Sign(secret, scope, stringToSign), provided)) return { ok: true };
    first ??= { ok: false, stringToSign, canonicalRequest };
  }
  return first!;
}

type EmptyStyle = 'official' | 'ali-oss';

/**
 * Alibaba's own SDKs sign an empty query value as `key`; ali-oss signs `key` only for sub-resources and
 * `key=` for ordinary empty parameters such as `prefix=` (reference §2.3, real OSS behaviour UNVERIFIED).
 * The official rule is tried first; the ali-oss rule only when it would give a different string.
 */
function v4EmptyStyles(query: readonly QueryParam[]): EmptyStyle[] {
  const differs = query.some(([name, value]) => (value === '' || value === null) && !V1_SUBRESOURCES.has(name) && name !== 'x-oss-signature');
  return differs ? ['official', 'ali-oss'] : ['official'];
}

export function v4CanonicalRequest(input: SigningInput, additional: readonly string[], presigned: boolean, emptyStyle: EmptyStyle = 'official'): string {
  const h = input.headers;
  const uri = encodeV4(`/${input.bucket ? `${input.bucket}/` : ''}${input.key ?? ''}`).replace(/%2F/g, '/');
  const query = input.query
    .filter(([name]) => !(presigned && name === 'x-oss-signature'))
    .map(([name, value]): [string, string | null] => {
      const empty = value === null || value === '';
      const bare = empty && (emptyStyle === 'official' || V1_SUBRESOURCES.has(name));
      return [encodeV4(name), bare ? null : encodeV4(value ?? '')];
    })
    .sort((a, b) => ordinal(a[0], b[0]) || ordinal(a[1] ?? '', b[1] ?? ''))
    .map(([name, value]) => (value === null ? name : `${name}=${value}`))
    .join('&');
  const names = new Set(additional);
  for (const name of Object.keys(h)) if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) names.add(name);
  const headers = [...names]
    .sort()
    .map((name) => `${name}:${(h[name] ?? '').trim()}\n`)
    .join('');
  return [input.method, uri, query, headers, additional.join(';'), h['x-oss-content-sha256'] || UNSIGNED_PAYLOAD].join('\n');
}

function v4StringToSign(scope: V4Scope, timestamp: string, canonicalRequest: string): string {
  const hashed = createHash('sha256').update(canonicalRequest, 'utf8').digest('hex');
  return [V4_ALGORITHM, timestamp, `${scope.date8}/${scope.region}/${scope.product}/${V4_TERMINATOR}`, hashed].join('\n');
}

function v4Sign(secret: string, scope: V4Scope, stringToSign: string): string {
  let key = createHmac('sha256', `aliyun_v4${secret}`).update(scope.date8).digest();
  for (const part of [scope.region, scope.product, V4_TERMINATOR]) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

/** RFC 3986 unreserved characters stay; everything else is percent-encoded, including `!'()*`. */
function encodeV4(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

// ---- shared --------------------------------------------------------------------------------------

/** The STS token travels as a header (`x-oss-security-token`) or a query parameter (`security-token` in V1 URLs, `x-oss-security-token` in V4 URLs). */
function tokenOf(input: SigningInput): string | undefined {
  const header = input.headers['x-oss-security-token'];
  if (header) return header;
  for (const [name, value] of input.query) if ((name === 'security-token' || name === 'x-oss-security-token') && value) return value;
  return undefined;
}

/** `20261122T180714Z` → epoch ms, NaN when unreadable. */
export function parseIsoBasic(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : Number.NaN;
}

function matches(expected: string, provided: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(provided);
  return a.length === b.length && timingSafeEqual(a, b);
}

function ordinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Space-separated hex bytes, as OSS echoes in `<StringToSignBytes>`. */
export function hexBytes(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

