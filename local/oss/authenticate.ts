// Protocol layer, part 2: the authentication chain that runs before dispatch. It answers "who signed
// this request", never "may they do it" (that is the service's authorize step, which needs the bucket).
//   1. no signature            → the anonymous caller (bucket policies may still grant `*`)
//   2. key lookup in RAM       → 403 InvalidAccessKeyId / SecurityTokenExpired
//   3. signature with the key's secret → 403 SignatureDoesNotMatch, echoing StringToSign
//   4. time: ±15 min skew for header signing, Expires for URLs → 403 RequestTimeTooSkewed / AccessDenied
import type { Caller, Ram } from '../ram';
import { ossErrors } from './errors';
import { hexBytes, parseSignature, type AuthScheme, type SigningInput } from './signature';

/** How bucket policies name an unsigned caller (shared/policy accepts `*` and `anonymous`). */
export const ANONYMOUS: Caller = { kind: 'anonymous', arn: '*' };

export interface Authenticated {
  caller: Caller;
  accessKeyId?: string;
  scheme?: AuthScheme;
}

const MAX_SKEW_MS = 15 * 60 * 1000;

export function authenticate(input: SigningInput, ram: Ram, region: string, now: number): Authenticated {
  const signed = parseSignature(input);
  if (!signed) return { caller: ANONYMOUS };

  const lookup = ram.resolveKey(signed.accessKeyId, signed.securityToken);
  if (!lookup.ok) {
    // Real OSS answers an unknown key, a token sent with a long-term key and an STS key without its token
    // all with InvalidAccessKeyId (reference §2.4); an expired token gets its own code.
    if (lookup.code === 'SecurityTokenExpired') throw ossErrors.securityTokenExpired(lookup.message);
    throw ossErrors.invalidAccessKeyId(signed.accessKeyId, lookup.message);
  }

  const outcome = signed.verify(lookup.key.accessKeySecret);
  if (!outcome.ok) {
    const details: Record<string, string> = {
      OSSAccessKeyId: signed.accessKeyId,
      SignatureProvided: signed.provided,
      StringToSign: outcome.stringToSign,
      StringToSignBytes: hexBytes(outcome.stringToSign),
    };
    if (outcome.canonicalRequest !== undefined) details.CanonicalRequest = outcome.canonicalRequest;
    throw ossErrors.signatureDoesNotMatch(details);
  }
  if (signed.region !== undefined && (signed.region !== region || signed.product !== 'oss')) {
    // The signature is right for the scope the client chose, but this endpoint only serves `region`.
    throw ossErrors.signatureDoesNotMatch(
      { OSSAccessKeyId: signed.accessKeyId },
      `The credential scope names region \`${signed.region}\` and product \`${signed.product}\`, but this endpoint serves \`${region}\` and \`oss\` (ali-oss: set region: 'oss-${region}').`,
    );
  }

  if (signed.scheme === 'v1-header' || signed.scheme === 'v4-header') {
    if (Number.isNaN(signed.signedAt)) throw ossErrors.accessDenied('OSS authentication requires a valid Date.');
    if (Math.abs(now - signed.signedAt!) > MAX_SKEW_MS) throw ossErrors.requestTimeTooSkewed(signed.signedAtText ?? '', new Date(now).toUTCString());
  } else {
    if (Number.isNaN(signed.expiresAt)) throw ossErrors.accessDenied('The Expires parameter of this URL is not a number of seconds.');
    if (now > signed.expiresAt!) {
      throw ossErrors.accessDenied('Request has expired.', {
        Expires: new Date(signed.expiresAt!).toISOString(),
        ServerTime: new Date(now).toISOString(),
      });
    }
    if (signed.scheme === 'v4-url' && signed.signedAt! - now > MAX_SKEW_MS) {
      throw ossErrors.requestTimeTooSkewed(signed.signedAtText ?? '', new Date(now).toUTCString());
    }
  }
  return { caller: lookup.key.caller, accessKeyId: signed.accessKeyId, scheme: signed.scheme };
}
