// Verifies an MNS HTTP push (the task topic's subscription to the api) and returns the message it carries.
// Order matters: nothing from the body is read before the certificate URL is allowed, the signature checks
// out and the body matches the signed Content-MD5.
//
// The Date header is required but not checked for age: no MNS source says how old a push may be, nor whether a
// retry is signed anew, and a replayed genuine push is harmless (task results are confirmed with GetTask and
// applied once).
import { BadRequestError } from '../errors';
import { parsePushBody, type MnsPushMessage } from './body';
import { certificateCache, certificateUrl, type FetchLike } from './certificates';
import { checkContentMd5, PUSH_HINT, verifySignature, type PushRequest } from './signature';

export type { MnsPushMessage, NotifyContentFormat } from './body';
export type { FetchLike } from './certificates';
export type { PushRequest } from './signature';
export { stringToSign } from './signature';

export interface MnsPushVerifierOptions {
  /** Certificate URL prefixes to trust (MNS_CERT_URL_PREFIXES). */
  allowedPrefixes: readonly string[];
  fetch?: FetchLike;
  /** Certificate fetch timeout, default 3 s. */
  timeoutMs?: number;
}

export interface MnsPushVerifier {
  verify(request: PushRequest): Promise<MnsPushMessage>;
}

/** One per warm container: it keeps the certificates it fetched. */
export function createMnsPushVerifier(options: MnsPushVerifierOptions): MnsPushVerifier {
  const publicKeyAt = certificateCache({ allowedPrefixes: options.allowedPrefixes, fetch: options.fetch, timeoutMs: options.timeoutMs });
  return {
    async verify(request) {
      if (request.method.toUpperCase() !== 'POST') throw new BadRequestError('MNS pushes with POST', PUSH_HINT, 'MnsPushMalformed');
      for (const header of ['authorization', 'date'] as const) {
        if (!request.headers[header]) throw new BadRequestError(`the push has no ${header === 'date' ? 'Date' : 'Authorization'} header`, PUSH_HINT, 'MnsPushMalformed');
      }
      const url = certificateUrl(request.headers['x-mns-signing-cert-url'], options.allowedPrefixes);
      checkContentMd5(request);
      verifySignature(request, await publicKeyAt(url));
      return await parsePushBody(request.body, request.headers);
    },
  };
}
