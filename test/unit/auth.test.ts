import { createHash } from 'node:crypto';
import { authenticate } from '../../functions/api/auth';
import { UnauthorizedError } from '../../shared/errors';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

describe('authenticate', () => {
  const hashes = [sha('first-token'), sha('second-token')];

  it.each(['Bearer first-token', 'bearer second-token', 'Bearer   first-token  '])('accepts %p', (header) => {
    // Act / Assess
    expect(() => authenticate(header, hashes)).not.toThrow();
  });

  it.each([undefined, '', 'Basic abc', 'Bearer', 'Bearer wrong', 'Bearer first-token extra'])('refuses %p with 401', (header) => {
    // Act
    let error: unknown;
    try {
      authenticate(header, hashes);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(UnauthorizedError);
    expect((error as UnauthorizedError).statusCode).toBe(401);
  });
});
