// The byte scan that sets an FC HTTP event's body aside until the caller is authenticated (issue 11).
import { parseHttpEvent } from '../../shared/fc/httpEvent';
import { topLevelStringMember } from '../../shared/fc/jsonMember';

const literalOf = (json: string, name = 'body') => {
  const bytes = Buffer.from(json);
  const span = topLevelStringMember(bytes, name);
  return span && bytes.toString('utf8', span.start, span.end);
};

describe('topLevelStringMember', () => {
  it.each([
    ['a plain member', '{"a":1,"body":"x"}', '"x"'],
    ['escaped quotes and backslashes', '{"body":"a\\"b\\\\","c":"d"}', '"a\\"b\\\\"'],
    ['multi-byte UTF-8', '{"body":"é中\\u0000😀"}', '"é中\\u0000😀"'],
    ['whitespace around the colon', '{ "body" :\n "x" }', '"x"'],
    ['the last of duplicate members, as JSON.parse keeps', '{"body":"1","body":"2"}', '"2"'],
    ['a nested `body` ignored', '{"headers":{"body":"no"},"body":"yes"}', '"yes"'],
    ['a `body` inside an array ignored', '{"a":["body","no"],"body":"yes"}', '"yes"'],
    ['a string value that reads `body` ignored', '{"x":"body","y":"z"}', undefined],
    ['a non-string body', '{"body":null}', undefined],
    ['an object body', '{"body":{"a":"b"}}', undefined],
    ['no body', '{"a":"b"}', undefined],
    ['an unclosed string', '{"body":"x', undefined],
    ['unbalanced braces', '{"body":"x"}}', undefined],
    ['a top-level array', '["body","x"]', undefined],
  ])('finds %s', (_name, json, expected) => {
    // Act
    const literal = literalOf(json);
    // Assess
    expect(literal).toBe(expected);
  });
});

describe('parseHttpEvent with the body set aside', () => {
  const event = (body: string, isBase64Encoded = false) =>
    Buffer.from(JSON.stringify({ version: 'v1', headers: { Authorization: 'Bearer t' }, body, isBase64Encoded, requestContext: { http: { method: 'post', path: '/x' } } }));

  it.each([
    ['utf8', event('{"uri":"oss://b/é \\"q\\""}'), '{"uri":"oss://b/é \\"q\\""}'],
    ['base64', event(Buffer.from('\u0000\u00ff binary').toString('base64'), true), '\u0000\u00ff binary'],
    ['empty', event(''), ''],
  ])('decodes a %s body on first read, the same as a whole parse', (_name, fcEvent, expected) => {
    // Act
    const request = parseHttpEvent(fcEvent);
    // Assess
    expect(request.headers.authorization).toBe('Bearer t');
    expect(request.body.toString('utf8')).toBe(expected);
    expect(request.body).toBe(request.body);
  });

  it('reads the head of an event whose body literal is no valid JSON string, and refuses the body only when read', () => {
    // Prepare
    const fcEvent = Buffer.from('{"version":"v1","body":"\\q","requestContext":{"http":{"method":"GET","path":"/x"}}}');
    // Act
    const request = parseHttpEvent(fcEvent);
    // Assess
    expect(request.method).toBe('GET');
    expect(() => request.body).toThrow(/body: not a JSON string/);
  });
});
