import { BadRequestError } from '../../shared/errors';
import { parseOssUri } from '../../shared/uri';

describe('parseOssUri', () => {
  it.each([
    ['oss://test-bucket-2024/incoming/a.jpg', 'test-bucket-2024', 'incoming/a.jpg'],
    ['oss://bkt/dir/a b+c%20中.jpg', 'bkt', 'dir/a b+c%20中.jpg'],
  ])('accepts %s', (uri, bucket, key) => {
    // Act
    const location = parseOssUri(uri);
    // Assess
    expect(location).toEqual({ bucket, key });
  });

  it.each([
    ['oss://', /no bucket/],
    ['oss://b/../x', /not a valid bucket name/],
    ['oss://bkt/../x', /`\.` or `\.\.`/],
    ['oss://bkt/a/./b', /`\.` or `\.\.`/],
    ['oss://bkt/a//b', /empty path segment/],
    ['oss://bkt/a/\u0000b', /control characters/],
    ['oss://bkt/', /no object key/],
    ['oss://bkt', /no object key/],
    ['https://bkt/a.jpg', /unsupported URI scheme `https`/],
    ['s3://bkt/a.jpg', /unsupported URI scheme `s3`/],
    ['bkt/a.jpg', /not an oss:\/\/ URI/],
    [`oss://bkt/${'k'.repeat(1024)}`, /longer than 1023 bytes/],
    [`oss://bkt/${'é'.repeat(512)}`, /longer than 1023 bytes/],
    ['oss://bkt//a', /must not start with/],
    ['oss://bkt/a\u0000b', /control characters/],
    [42, /non-empty string/],
    ['', /non-empty string/],
  ])('rejects %p with a clear 400', (uri, message) => {
    // Act
    let error: unknown;
    try {
      parseOssUri(uri);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).statusCode).toBe(400);
    expect((error as BadRequestError).message).toMatch(message);
    expect((error as BadRequestError).hint).toContain('oss://<bucket>/<key>');
  });

  it('accepts a key of exactly 1023 bytes', () => {
    // Act / Assess
    expect(parseOssUri(`oss://bkt/${'k'.repeat(1023)}`).key).toHaveLength(1023);
  });
});
