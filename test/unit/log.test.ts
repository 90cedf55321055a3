import { createLogger, describeError, redactSecrets } from '../../shared/log';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('createLogger', () => {
  it('writes JSON lines and redacts secrets wherever they sit', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger({ fn: 'test' }, destination, 'info');
    // Act
    log.info({ credentials: { accessKeyId: 'STS.visible', accessKeySecret: 'TOP-SECRET', securityToken: 'TOKEN-XYZ' }, headers: { authorization: 'Bearer abc' }, accessToken: 'wo-token' }, 'hello');
    // Assess
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'info', msg: 'hello', fn: 'test' });
    expect(entry.credentials.accessKeyId).toBe('STS.visible');
    expect(lines[0]).not.toMatch(/TOP-SECRET|TOKEN-XYZ|Bearer abc|wo-token/);
  });
});

describe('redactSecrets', () => {
  it('censors secret-named keys in any case, in arrays and child bindings, and leaves the input untouched', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger({}, destination, 'info').child({ session: { SECURITYTOKEN: 'BOUND-SECRET' } });
    const fields = { calls: [{ request: { headers: { 'X-Acs-Security-Token': 'HDR-SECRET' } } }], a: { b: { c: { d: { refreshtoken: 'DEEP-SECRET' } } } } };
    // Act
    log.warn(fields, 'nested');
    // Assess
    expect(lines[0]).not.toMatch(/BOUND-SECRET|HDR-SECRET|DEEP-SECRET/);
    expect(JSON.parse(lines[0]).a.b.c.d.refreshtoken).toBe('[redacted]');
    expect(fields.calls[0].request.headers['X-Acs-Security-Token']).toBe('HDR-SECRET');
  });

  it('keeps every level of bindings: a child of a child logs its parent\'s bindings too', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger({ fn: 'on-upload' }, destination, 'info').child({ requestId: 'R-1' }).child({ key: 'incoming/a.jpg' });
    // Act
    log.info('record');
    // Assess
    expect(JSON.parse(lines[0])).toMatchObject({ fn: 'on-upload', requestId: 'R-1', key: 'incoming/a.jpg', msg: 'record' });
  });

  it('redacts inside errors (enumerable fields, causes, aggregated errors) and keeps their message and stack', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger({}, destination, 'info');
    const inner = Object.assign(new Error('inner'), { token: 'AGG-SECRET' });
    const withCause = Object.assign(new Error('outer', { cause: Object.assign(new Error('cause'), { securityToken: 'CAUSE-SECRET' }) }), { accessKeySecret: 'OWN-SECRET' });
    // Act
    log.error({ err: withCause, other: new AggregateError([inner], 'many') }, 'failed');
    // Assess
    expect(lines[0]).not.toMatch(/AGG-SECRET|CAUSE-SECRET|OWN-SECRET/);
    const entry = JSON.parse(lines[0]);
    expect(entry.err).toMatchObject({ type: 'Error', message: expect.stringContaining('outer'), stack: expect.stringContaining('Error: outer'), accessKeySecret: '[redacted]' });
  });

  it('never throws on errors the serializer chokes on (an aggregate that contains itself, a frozen error)', () => {
    // Prepare
    const { lines, destination } = capture();
    const log = createLogger({}, destination, 'info');
    const loop = new AggregateError([], 'loop');
    (loop.errors as unknown[]).push(loop);
    const frozen = Object.freeze(new Error('frozen'));
    // Act
    log.error({ err: loop, other: frozen }, 'odd errors');
    // Assess
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'odd errors', err: { message: 'loop' }, other: { message: 'frozen' } });
  });

  it('returns objects without secrets as they are (no copy)', () => {
    // Prepare
    const fields = { bucket: 'b', key: 'k', nested: { status: 'succeeded' } };
    // Act / Assess
    expect(redactSecrets(fields)).toBe(fields);
  });
});

describe('describeError', () => {
  it('keeps code, message and hint but not the SDK request', () => {
    // Prepare
    const error = Object.assign(new Error('denied'), { code: 'NoPermission', hint: 'fix the trust policy', request: { headers: { authorization: 'ACS3 secret-sig' } } });
    // Act
    const described = describeError(error);
    // Assess
    expect(described).toMatchObject({ code: 'NoPermission', message: 'denied', hint: 'fix the trust policy' });
    expect(JSON.stringify(described)).not.toContain('secret-sig');
  });
});
