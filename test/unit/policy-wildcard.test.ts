import { matchWildcard } from '../../shared/policy';

/** Oracle: an escaped regex, the obviously correct (but slow and unsafe for policy text) reading. */
function oracle(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}$`, 'u').test(value);
}

/** A small deterministic generator, so a failure always reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('matchWildcard', () => {
  it.each([
    ['*', '', true],
    ['*', 'anything/at:all', true],
    ['oss:*', 'oss:GetObject', true],
    ['acs:oss:*:*:bkt/*', 'acs:oss:*:111:bkt/a:b/c.txt', true],
    ['bkt/abc*.txt', 'bkt/abc/x.txt', true],
    ['bkt*', 'bkt2/x', true],
    ['?etObject', 'GetObject', true],
    ['?etObject', 'etObject', false],
    ['?etObject', 'GetObjectAcl', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'acb', false],
    ['*.txt', 'a.txt', true],
    ['*.txt', 'atxt', false],
    ['a.c', 'abc', false],
    ['a+b', 'aab', false],
    ['a+b', 'a+b', true],
    ['(x)', '(x)', true],
    ['[ab]', 'a', false],
    ['^$', '^$', true],
    ['\\d', '\\d', true],
    ['\\d', '1', false],
    ['a?', 'a😀', true],
    ['😀*', '😀x', true],
    ['', '', true],
    ['', 'a', false],
  ])('matchWildcard(%j, %j) is %s', (pattern, value, expected) => {
    // Prepare
    // Act
    const result = matchWildcard(pattern, value);

    // Assess
    expect(result).toBe(expected);
  });

  it.each([
    ['oss:getobject', 'oss:GetObject', true, true],
    ['oss:getobject', 'oss:GetObject', false, false],
    ['OSS:Get*', 'oss:getbucketinfo', true, true],
  ])('matchWildcard(%j, %j, ignoreCase=%s) is %s', (pattern, value, ignoreCase, expected) => {
    // Prepare
    // Act
    const result = matchWildcard(pattern, value, ignoreCase);

    // Assess
    expect(result).toBe(expected);
  });

  it('agrees with an escaped-regex oracle on 5,000 random patterns', () => {
    // Prepare
    const next = random(42);
    const pick = (alphabet: string, max: number): string =>
      Array.from({ length: Math.floor(next() * max) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    const pairs = Array.from({ length: 5000 }, () => [pick('ab/:*?.', 7), pick('ab/:.', 9)] as const);

    // Act
    const disagreements = pairs.filter(([pattern, value]) => matchWildcard(pattern, value) !== oracle(pattern, value));

    // Assess
    expect(disagreements).toEqual([]);
  });

  it('stays fast on a pattern that makes backtracking regexes explode', () => {
    // Prepare
    const pattern = `${'a*'.repeat(20)}b`;
    const value = 'a'.repeat(5000);

    // Act
    const result = matchWildcard(pattern, value);

    // Assess
    expect(result).toBe(false);
  });
});
