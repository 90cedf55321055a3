// The certificate whose public key signed a push. MNS names it in `x-mns-signing-cert-url` (Base64 of the
// URL); only URLs under an allowed prefix are fetched, since anyone can sign with a certificate of their own
// (prefix rule: alibabacloud.com/help/en/mns/support/how-to-check-whether-the-url-of-a-public-key-certificate-is-provided-by-alibaba-cloud).
// The file name changes when MNS rotates the key, so certificates are cached by URL for the life of the
// container (MNS FAQ, doc-detail/34355.htm); a failed fetch is never cached, a refused one (404, not a
// certificate) for a minute.
// Validity dates are not checked: the certificate MNS signed pushes with in 2023 had expired in 2016.
import { X509Certificate, type KeyObject } from 'node:crypto';
import { ownHint } from '../errorHints';
import { BadRequestError, ForbiddenError, UpstreamError } from '../errors';
import { PUSH_HINT } from './signature';

export type FetchLike = (url: string, init: { signal: AbortSignal; redirect: 'error' }) => Promise<Response>;

export interface CertificateOptions {
  allowedPrefixes: readonly string[];
  fetch?: FetchLike;
  timeoutMs?: number;
  maxBytes?: number;
  /** Distinct certificate URLs kept; the oldest is dropped beyond it. */
  maxEntries?: number;
  /** How long a refused certificate URL (404, not a certificate) is remembered, default 60 s. */
  refusalTtlMs?: number;
}

const MAX_URL_CHARS = 1024;

/** Decodes `x-mns-signing-cert-url` and refuses any URL outside the allowed prefixes (403). */
export function certificateUrl(header: string | undefined, allowedPrefixes: readonly string[]): string {
  const encoded = (header ?? '').trim();
  if (!encoded) throw new BadRequestError('the push has no x-mns-signing-cert-url header', PUSH_HINT, 'MnsPushMalformed');
  if (encoded.length > MAX_URL_CHARS * 2 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw new BadRequestError('x-mns-signing-cert-url is not Base64', PUSH_HINT, 'MnsPushMalformed');
  }
  const url = Buffer.from(encoded, 'base64').toString('utf8');
  let normalized: string | undefined;
  try {
    normalized = new URL(url).href;
  } catch {
    normalized = undefined;
  }
  // Both the URL as sent and as fetch will read it must be under the prefix, so `..` or odd escapes cannot leave it.
  if (!normalized || !allowedPrefixes.some((prefix) => url.startsWith(prefix) && normalized.startsWith(prefix))) {
    throw new ForbiddenError('MnsCertificateUrlNotAllowed', `the signing certificate URL \`${url.slice(0, 200)}\` is not under an allowed prefix`, ownHint('MnsCertificateUrlNotAllowed'));
  }
  return url;
}

export function certificateCache(options: CertificateOptions): (url: string) => Promise<KeyObject> {
  const fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
  const timeoutMs = options.timeoutMs ?? 3000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const maxEntries = options.maxEntries ?? 16;
  const cache = new Map<string, Promise<KeyObject>>();
  return (url) => {
    let key = cache.get(url);
    if (!key) {
      key = load(url, fetchImpl, timeoutMs, maxBytes);
      cache.set(url, key);
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      key.catch((error: unknown) => {
        // A transient failure is forgotten at once; a definitive answer (404, not a certificate) is remembered for a
        // minute, so unauthenticated pushes naming a missing file under an allowed prefix cannot make the api fetch
        // it again for every request.
        const forget = () => {
          if (cache.get(url) === key) cache.delete(url);
        };
        if (error instanceof ForbiddenError) setTimeout(forget, options.refusalTtlMs ?? 60_000).unref();
        else forget();
      });
    }
    return key;
  };
}

async function load(url: string, fetchImpl: FetchLike, timeoutMs: number, maxBytes: number): Promise<KeyObject> {
  let response: Response;
  let body: Buffer;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    body = response.ok ? await readCapped(response, maxBytes) : Buffer.alloc(0);
  } catch (error) {
    if (error instanceof ForbiddenError) throw error;
    throw unavailable(url, error);
  }
  // A missing certificate is the sender's mistake (a made-up file name); a server error may pass, so MNS should retry.
  if (response.status >= 500 || response.status === 429) throw unavailable(url, new Error(`HTTP ${response.status}`));
  if (!response.ok) throw new ForbiddenError('MnsCertificateNotFound', `the signing certificate \`${url.slice(0, 200)}\` answered HTTP ${response.status}`, PUSH_HINT);
  try {
    const certificate = new X509Certificate(body);
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new Error('not an RSA key');
    return certificate.publicKey;
  } catch (error) {
    throw new ForbiddenError('MnsCertificateInvalid', `the signing certificate \`${url.slice(0, 200)}\` is not an X.509 certificate with an RSA key`, PUSH_HINT, error);
  }
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new ForbiddenError('MnsCertificateInvalid', `the signing certificate exceeds ${maxBytes} bytes`, PUSH_HINT);
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) throw tooLarge();
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

function unavailable(url: string, cause: unknown): UpstreamError {
  return new UpstreamError('MnsCertificateUnavailable', `cannot fetch the signing certificate \`${url.slice(0, 200)}\``, 502, cause, ownHint('MnsCertificateUnavailable'));
}
