import { createLogger, describeError } from '../../shared/log';

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
