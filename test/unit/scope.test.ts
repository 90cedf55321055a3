// The one scope decision (shared/scope.ts) that every api route taking a `uri`, and on-upload, make before any
// STS or IMM call (issue 11).
import { loadConfig } from '../../shared/config';
import { AppError } from '../../shared/errors';
import { apiLocation, apiScope, decideScope, isProbeKey, uploadScope, type Scope } from '../../shared/scope';

const config = loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024', API_PREFIXES: 'incoming/,shared/docs/' });
const api: Scope = apiScope(config);
const upload: Scope = uploadScope(config);
const at = (key: string, bucket = 'test-bucket-2024') => ({ bucket, key });

describe('decideScope', () => {
  it.each([
    ['a key under INPUT_PREFIX', api, at('incoming/a.jpg')],
    ['a key under another API prefix', api, at('shared/docs/report.pdf')],
    ['a folder marker (trailing slash)', upload, at('incoming/dir/')],
    ['a dot inside a name', upload, at('incoming/a..b/.hidden.jpg')],
  ])('allows %s', (_name, scope, location) => {
    // Act
    const decision = decideScope(location, scope);
    // Assess
    expect(decision).toEqual({ allowed: true });
  });

  it.each([
    ['a bucket outside ALLOWED_BUCKETS', api, at('incoming/a.jpg', 'other-bucket'), 'BucketNotAllowed', /ALLOWED_BUCKETS/],
    ['a key outside every API prefix', api, at('private/secret.pdf'), 'KeyNotAllowed', /add its prefix to API_PREFIXES/],
    ['a prefix without its slash', api, at('incomingx/a.jpg'), 'KeyNotAllowed', /`incoming\/`, `shared\/docs\/`/],
    ['the results prefix', api, at('results/incoming/a.jpg.json'), 'KeyNotAllowed', /API_PREFIXES/],
    ['an API prefix on-upload does not watch', upload, at('shared/docs/report.pdf'), 'KeyNotAllowed', /^use an object under `incoming\/`$/],
    ['a `..` segment', upload, at('incoming/x/../a.jpg'), 'InvalidKey', /rename the object/],
    ['a traversal out of the prefix', api, at('incoming/../private/secret.pdf'), 'InvalidKey', /rename/],
    ['a `.` segment', upload, at('incoming/./a.jpg'), 'InvalidKey', /rename/],
    ['a final `..`', upload, at('incoming/x/..'), 'InvalidKey', /rename/],
    ['an empty segment', upload, at('incoming//a.jpg'), 'InvalidKey', /rename/],
    ['a NUL', upload, at('incoming/a\u0000.jpg'), 'InvalidKey', /rename/],
    ['a backslash `..` segment', upload, at('incoming/x\\..\\a.jpg'), 'InvalidKey', /rename/],
  ])('refuses %s', (_name, scope, location, code, hint) => {
    // Act
    const decision = decideScope(location, scope);
    // Assess
    expect(decision).toMatchObject({ allowed: false, code });
    expect(decision.allowed === false && decision.hint).toMatch(hint);
  });

  it('refuses a key outside the prefixes for that alone, whatever its shape', () => {
    // Act
    const decision = decideScope(at('other/x/../a.jpg'), upload);
    // Assess
    expect(decision).toMatchObject({ allowed: false, code: 'KeyNotAllowed' });
  });
});

describe('apiLocation', () => {
  const refusal = (uri: unknown): AppError => {
    try {
      apiLocation(uri, config);
    } catch (error) {
      return error as AppError;
    }
    throw new Error('no refusal');
  };

  it('returns the parsed location inside the scope', () => {
    // Act / Assess
    expect(apiLocation('oss://test-bucket-2024/shared/docs/a.pdf', config)).toEqual(at('shared/docs/a.pdf'));
  });

  it.each([
    ['a key outside the prefixes', 'oss://test-bucket-2024/private/secret.pdf', 403, 'KeyNotAllowed'],
    ['a foreign bucket', 'oss://other-bucket/incoming/a.jpg', 403, 'BucketNotAllowed'],
    ['a dot segment (an invalid URI first)', 'oss://test-bucket-2024/incoming/../private/secret.pdf', 400, 'InvalidUri'],
    ['an empty segment', 'oss://test-bucket-2024/incoming//a.jpg', 400, 'InvalidUri'],
    ['no URI', undefined, 400, 'InvalidUri'],
  ])('refuses %s', (_name, uri, statusCode, code) => {
    // Act
    const error = refusal(uri);
    // Assess
    expect(error).toMatchObject({ statusCode, code, expose: true });
    expect(error.hint).toBeTruthy();
  });
});

describe('probe keys', () => {
  it('are the deep health check folder under INPUT_PREFIX and nothing beside it', () => {
    // Act / Assess
    expect(isProbeKey('incoming/.imm-bridge-probe/0b1c.jpg', 'incoming/')).toBe(true);
    expect(isProbeKey('incoming/.imm-bridge-probe.jpg', 'incoming/')).toBe(false);
    expect(isProbeKey('incoming/a/.imm-bridge-probe/x.jpg', 'incoming/')).toBe(false);
    expect(isProbeKey('.imm-bridge-probe/x.jpg', 'incoming/')).toBe(false);
  });
});
