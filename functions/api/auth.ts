// Bearer-token check. Only SHA-256 hashes of the tokens are configured, so a leaked s.yaml leaks no token,
// and hashes are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ownHint } from '../../shared/errorHints';
import { UnauthorizedError } from '../../shared/errors';

export function authenticate(authorization: string | undefined, acceptedHashes: readonly string[]): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) throw new UnauthorizedError(authorization ? 'the Authorization header is not `Bearer <token>`' : 'missing bearer token', ownHint('Unauthorized'));
  const presented = createHash('sha256').update(match[1]).digest();
  // Compare against every hash, without stopping early, so timing says nothing about which one matched.
  let ok = false;
  for (const hex of acceptedHashes) {
    ok = timingSafeEqual(presented, Buffer.from(hex, 'hex')) || ok;
  }
  if (!ok) throw new UnauthorizedError('invalid bearer token', ownHint('Unauthorized'));
}
