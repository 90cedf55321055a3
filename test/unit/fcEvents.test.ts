import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BadRequestError } from '../../shared/errors';
import { parseHttpEvent } from '../../shared/fc/httpEvent';
import { parseOssEvent } from '../../shared/fc/ossEvent';

const sample = (name: string) => readFileSync(path.join(__dirname, '../../../shared/data/fc-events', name));

describe('parseOssEvent', () => {
  it('parses the verbatim FC sample delivered as a Buffer', () => {
    // Act
    const parsed = parseOssEvent(sample('oss.json'));
    // Assess
    expect(parsed.rejected).toEqual([]);
    expect(parsed.objects).toEqual([
      { bucket: 'testbucket', key: 'image/a.jpg', eTag: '688A7BF4F233DC9C88A80BF985AB7329', size: 122539, eventName: 'ObjectCreated:PutObject', region: 'cn-shanghai' },
    ]);
  });

  it('returns every record and reports a malformed one on its own', () => {
    // Prepare
    const good = JSON.parse(sample('oss.json').toString()).events[0];
    const event = Buffer.from(JSON.stringify({ events: [good, { eventName: 'ObjectCreated:PutObject', oss: { bucket: {} } }, { ...good, oss: { ...good.oss, object: { ...good.oss.object, key: 'image/b.jpg' } } }] }));
    // Act
    const parsed = parseOssEvent(event);
    // Assess
    expect(parsed.objects.map((o) => o.key)).toEqual(['image/a.jpg', 'image/b.jpg']);
    expect(parsed.rejected).toEqual([{ index: 1, problem: expect.stringContaining('events[1].oss.bucket.name') }]);
  });

  it.each([
    ['not json', Buffer.from('{nope'), /not valid JSON/],
    ['no events', Buffer.from('{"records":[]}'), /no `events` array/],
    ['null', Buffer.from('null'), /no `events` array/],
  ])('rejects %s with a 400', (_name, event, message) => {
    // Act / Assess
    expect(() => parseOssEvent(event)).toThrow(BadRequestError);
    expect(() => parseOssEvent(event)).toThrow(message);
  });
});

describe('parseHttpEvent', () => {
  it('parses the FC sample event', () => {
    // Act
    const request = parseHttpEvent(sample('http.json'));
    // Assess
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/2023-03-30/functions/fc3-event-test-http-trigger-Darwin-x86_64/invocations');
    expect(request.headers['content-type']).toBe('application/octet-stream');
    expect(request.body.toString()).toBe('haha');
    expect(request.requestId).toBeUndefined();
  });

  it('decodes a base64 body', () => {
    // Prepare
    const event = { version: 'v1', rawPath: '/x', headers: {}, queryParameters: {}, body: Buffer.from([0, 1, 2]).toString('base64'), isBase64Encoded: true, requestContext: { http: { method: 'post', path: '/x' } } };
    // Act
    const request = parseHttpEvent(Buffer.from(JSON.stringify(event)));
    // Assess
    expect([...request.body]).toEqual([0, 1, 2]);
    expect(request.method).toBe('POST');
  });

  it('rejects an event that is not v1', () => {
    // Act / Assess
    expect(() => parseHttpEvent(Buffer.from('{"version":"v2"}'))).toThrow(/not an FC HTTP trigger event/);
  });
});
