import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run, type Io } from '../../cli';
import { lintPolicy } from '../../shared/policy';

const root = path.join(__dirname, '..', '..');
const examples = path.join(root, 'cli', 'examples');

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(argv: string[], options: { cwd?: string; stdin?: string } = {}): Captured {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: options.cwd ?? root,
    ...(options.stdin !== undefined && { stdin: () => options.stdin as string }),
  };
  const code = run(argv, io);
  return { code, stdout, stderr };
}

let dir: string;
const write = (name: string, content: unknown): string => {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-cli-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const identity = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:111:bkt/*' }] };
const trust = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::222:root'] } }] };
const bucket = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:111:bkt/*', Principal: ['arn:sts::222:assumed-role/fn/*'] }] };

describe('cli', () => {
  it.each([
    ['no command', [], 'missing command: try `policy simulate`, `policy lint` or `policy generate` (see `--help`)'],
    ['an unknown command', ['deploy'], 'unknown command `deploy`: try `policy` (see `--help`)'],
    ['a missing policy command', ['policy'], 'missing policy command: try `policy simulate`, `policy lint`, `policy generate` (see `--help`)'],
    ['an unknown policy command', ['policy', 'check'], 'unknown command `policy check`: try `policy simulate`, `policy lint`, `policy generate`'],
    ['an unknown option', ['policy', 'lint', '--input', 'p.json', '--strict'], 'policy lint: unknown option `--strict`: see `policy lint --help`'],
    ['an unknown short option', ['policy', 'simulate', '-x'], 'policy simulate: unknown option `-x`: see `policy simulate --help`'],
    ['an option without its value', ['policy', 'simulate', '--input'], 'policy simulate: option `--input` needs a value: see `policy simulate --help`'],
    ['an option followed by another', ['policy', 'generate', '--config', '--out', 'x'], 'policy generate: option `--config` needs a value: see `policy generate --help`'],
    ['a stray argument', ['policy', 'lint', 'p.json'], 'policy lint: unexpected argument `p.json`: see `policy lint --help`'],
    ['a missing --input', ['policy', 'simulate'], 'policy simulate: missing `--input <case.json>`: see `policy simulate --help`'],
    ['a missing --out', ['policy', 'generate', '--config', 'cli/examples/deploy.json'], 'policy generate: missing `--out <dir>`: see `policy generate --help`'],
    ['an unknown kind', ['policy', 'lint', '--input', 'p.json', '--kind', 'ram'], 'policy lint: kind `ram` must be `identity`, `bucket` or `trust`'],
    ['a missing input file', ['policy', 'simulate', '--input', 'missing.json'], 'policy simulate: cannot read `missing.json`: no such file'],
    ['a missing policy file', ['policy', 'lint', '--input', 'missing.json'], 'policy lint: cannot read `missing.json`: no such file'],
    ['a directory as input', ['policy', 'lint', '--input', 'cli'], 'policy lint: cannot read `cli`: it is a directory'],
  ])('refuses %s with one line on stderr and exit code 2', (_name, argv, message) => {
    // Prepare
    const args = argv as string[];

    // Act
    const result = cli(args);

    // Assess
    expect(result).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });

  it.each([
    [['--help']],
    [['-h']],
    [['policy', '--help']],
    [['policy', 'simulate', '--help']],
    [['policy', 'lint', '--help']],
    [['policy', 'generate', '--help']],
    [['policy', 'lint', '--input', 'missing.json', '--help']],
  ])('prints help for %j', (argv) => {
    // Prepare
    const args = argv;

    // Act
    const result = cli(args);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run -s cli -- policy /);
    expect(result.stderr).toBe('');
  });
});

describe('policy simulate', () => {
  it('prints the decision, the statements that decided it, no errors and an explanation', () => {
    // Prepare
    const input = path.join(examples, 'case.json');

    // Act
    const result = cli(['policy', 'simulate', '--input', input]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      decision: 'Allow',
      reasons: [{ policy: 'resource', statement: 0, sid: 'ImmReadsInputs', effect: 'Allow' }],
      errors: [],
      explanation: [
        'identity: ImplicitDeny (cross-account callers are granted only by the bucket policy: the bucket belongs to account `1000000000000001`)',
        'bucket policy: Allow by Statement[0] (`ImmReadsInputs`)',
        'result: Allow (ram policies and the bucket policy are unioned: one allow suffices)',
      ],
    });
  });

  it('reads a path relative to the directory the user is in', () => {
    // Prepare
    const cwd = examples;

    // Act
    const result = cli(['policy', 'simulate', '--input', 'case.json'], { cwd });

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).decision).toBe('Allow');
  });

  it('evaluates an AssumeRole against the trust policy', () => {
    // Prepare
    const input = write('case.json', {
      request: { principal: 'acs:ram::222:user/bob', action: 'sts:AssumeRole', resource: 'acs:ram::111:role/operator' },
      identityPolicies: [{ Version: '1', Statement: [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }] }],
      resourcePolicy: trust,
    });

    // Act
    const result = cli(['policy', 'simulate', '--input', input]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ decision: 'ExplicitDeny', reasons: [{ policy: 'identity[0]', statement: 0, effect: 'Deny' }], errors: [] });
  });

  it('lists the problems of a broken policy, decides ImplicitDeny and exits 1', () => {
    // Prepare
    const input = write('case.json', {
      request: { principal: 'acs:ram::111:user/alice', action: 'oss:GetObject', resource: 'acs:oss:*:111:bkt/a' },
      identityPolicies: [{ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { StringEqual: { 'acs:UserAgent': 'x' } } }] }],
      resourcePolicy: null,
    });

    // Act
    const result = cli(['policy', 'simulate', '--input', input]);

    // Assess
    expect(result.code).toBe(1);
    const output = JSON.parse(result.stdout);
    expect(output.decision).toBe('ImplicitDeny');
    expect(output.errors).toEqual([expect.objectContaining({ code: 'UnsupportedOperator', path: 'identityPolicies[0].Statement[0].Condition.StringEqual' })]);
  });

  it('refuses input that is not json with one line and exit code 2', () => {
    // Prepare
    const input = write('case.json', '{"request": ');

    // Act
    const result = cli(['policy', 'simulate', '--input', input]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^policy simulate: \`${input.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}\` is not valid json: [^\\n]+\\n$`));
  });

  it('keeps its error to one line when the invalid input on standard input spans lines', () => {
    // Act
    const result = cli(['policy', 'simulate', '--input', '-'], { stdin: 'notjson\n{\n' });

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([expect.stringMatching(/^policy simulate: `-` is not valid json: /), '']);
  });

  it('reads standard input for `-`', () => {
    // Prepare
    const stdin = readFileSync(path.join(examples, 'case.json'), 'utf8');

    // Act
    const result = cli(['policy', 'simulate', '--input', '-'], { stdin });

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).decision).toBe('Allow');
  });
});

describe('policy lint', () => {
  it('finds what the README shows in cli/examples/lint-me.json', () => {
    // Act
    const result = cli(['policy', 'lint', '--input', path.join(examples, 'lint-me.json')]);

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings.map((f: { code: string; path: string }) => [f.code, f.path])).toEqual([
      ['OssRegionNotWildcard', 'Statement[0].Resource[0]'],
      ['BucketActionOnObjectArn', 'Statement[0].Action[0]'],
    ]);
  });

  it.each([
    ['an identity policy', identity, 'identity'],
    ['a trust policy', trust, 'trust'],
    ['a bucket policy', bucket, 'bucket'],
  ])('finds nothing in a clean %s, infers its kind and exits 0', (_name, doc, kind) => {
    // Prepare
    const input = write('policy.json', JSON.stringify(doc, null, 2));

    // Act
    const result = cli(['policy', 'lint', '--input', input]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ findings: [], kind });
  });

  it('exits 0 on warnings only', () => {
    // Prepare
    const input = write('policy.json', { Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });

    // Act
    const result = cli(['policy', 'lint', '--input', input]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).findings).toEqual([
      { severity: 'warning', code: 'OverBroadAction', message: 'action `*` allows every action of every service: list the actions the principal needs', path: 'Statement[0].Action' },
    ]);
  });

  it('exits 1 on an error', () => {
    // Prepare
    const input = write('policy.json', { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:cn-hangzhou:111:bkt/*' }] });

    // Act
    const result = cli(['policy', 'lint', '--input', input]);

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ severity: 'error', code: 'OssRegionNotWildcard', path: 'Statement[0].Resource' })]);
  });

  it('reports unreadable json as an error finding, exit 1', () => {
    // Prepare
    const input = write('policy.json', '{"Version": "1", ');

    // Act
    const result = cli(['policy', 'lint', '--input', input]);

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).findings).toEqual([expect.objectContaining({ severity: 'error', code: 'InvalidJson', path: '' })]);
  });

  it('lints as the kind it is told, not the kind it would infer', () => {
    // Prepare
    const input = write('policy.json', bucket);

    // Act
    const result = cli(['policy', 'lint', '--input', input, '--kind', 'identity']);

    // Assess
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ findings: [expect.objectContaining({ code: 'PrincipalNotAllowed' })], kind: 'identity' });
  });
});

describe('policy generate', () => {
  const files = [
    'data-account/bucket-policy.json',
    'data-account/function-role-trust.json',
    'data-account/function-role-policy.json',
    'media-account/operator-role-trust.json',
    'media-account/operator-role-policy.json',
    // The example sets notifyTopic: IMM's service role needs to publish task results.
    'media-account/imm-service-role-policy.json',
  ];

  it('writes one file per policy, grouped by account, plus a readme', () => {
    // Prepare
    const out = path.join(dir, 'policies');

    // Act
    const result = cli(['policy', 'generate', '--config', 'cli/examples/deploy.json', '--out', out]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ out, files: [...files, 'media-account/mns-http-subscription.json', 'README.txt'] });
    const readme = readFileSync(path.join(out, 'README.txt'), 'utf8');
    for (const file of files) expect(readme).toContain(file);
    expect(readme).toContain('IMM_ROLE_ARN=acs:ram::2000000000000002:role/imm-bridge-operator');
    expect(readme).toContain('IMM_NOTIFY_TOPIC=imm-bridge-task-done');
  });

  it('writes the media account\'s HTTP subscription of the task topic to the api, with a placeholder host without apiUrl', () => {
    // Prepare
    const config = JSON.parse(readFileSync(path.join(examples, 'deploy.json'), 'utf8'));
    const withUrl = write('deploy.json', { ...config, apiUrl: 'https://api-abc.cn-hangzhou.fcapp.run/', notifyContentFormat: 'XML' });
    const placeholder = path.join(dir, 'placeholder');
    const set = path.join(dir, 'set');

    // Act
    const first = cli(['policy', 'generate', '--config', 'cli/examples/deploy.json', '--out', placeholder]);
    const second = cli(['policy', 'generate', '--config', withUrl, '--out', set]);

    // Assess
    const read = (out: string) => JSON.parse(readFileSync(path.join(out, 'media-account/mns-http-subscription.json'), 'utf8'));
    expect(JSON.parse(first.stdout).files).toContain('media-account/mns-http-subscription.json');
    expect(read(placeholder)).toEqual({
      TopicOwner: '2000000000000002',
      TopicName: 'imm-bridge-task-done',
      SubscriptionName: 'imm-bridge-api',
      Endpoint: 'https://<api-host>/notifications/imm',
      NotifyContentFormat: 'JSON',
      NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY',
    });
    expect(read(set)).toMatchObject({ Endpoint: 'https://api-abc.cn-hangzhou.fcapp.run/notifications/imm', NotifyContentFormat: 'XML' });
    expect(readFileSync(path.join(placeholder, 'README.txt'), 'utf8')).toContain('Replace <api-host>');
  });

  it.each(files)('writes %s so that `policy lint` finds nothing in it', (file) => {
    // Prepare
    const out = path.join(dir, 'policies');
    cli(['policy', 'generate', '--config', 'cli/examples/deploy.json', '--out', out]);

    // Act
    const result = cli(['policy', 'lint', '--input', path.join(out, file)]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).findings).toEqual([]);
  });

  it('writes the demo policies the reference describes', () => {
    // Prepare
    const out = path.join(dir, 'policies');

    // Act
    cli(['policy', 'generate', '--config', path.join(examples, 'deploy.json'), '--out', out]);

    // Assess
    const read = (file: string) => JSON.parse(readFileSync(path.join(out, file), 'utf8'));
    expect(read('data-account/bucket-policy.json').Statement[0]).toEqual({
      Sid: 'ImmReadsInputs',
      Effect: 'Allow',
      Principal: ['arn:sts::2000000000000002:assumed-role/AliyunIMMDefaultRole/*'],
      Action: ['oss:GetObject'],
      Resource: ['acs:oss:*:1000000000000001:test-bucket-2024/incoming/*'],
    });
    expect(read('media-account/operator-role-trust.json').Statement[0]).toMatchObject({
      Principal: { RAM: ['acs:ram::1000000000000001:role/imm-bridge-fn'] },
      Condition: { StringEquals: { 'sts:ExternalId': 'imm-bridge-change-me-7f3a9c2e' } },
    });
    expect(lintPolicy(read('media-account/operator-role-policy.json'), 'identity')).toEqual([]);
  });

  it('replaces the files of an earlier run', () => {
    // Prepare
    const out = path.join(dir, 'policies');
    mkdirSync(path.join(out, 'data-account'), { recursive: true });
    writeFileSync(path.join(out, 'data-account', 'bucket-policy.json'), 'stale');

    // Act
    const result = cli(['policy', 'generate', '--config', 'cli/examples/deploy.json', '--out', out]);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'data-account', 'bucket-policy.json'), 'utf8')).Version).toBe('1');
  });

  it('refuses an invalid config with one line naming every problem, and writes nothing', () => {
    // Prepare
    const config = JSON.parse(readFileSync(path.join(examples, 'deploy.json'), 'utf8'));
    const input = write('deploy.json', { ...config, bucket: 'Test_Bucket', externalId: 7, extra: true });
    const out = path.join(dir, 'policies');

    // Act
    const result = cli(['policy', 'generate', '--config', input, '--out', out]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `policy generate: invalid deploy config \`${input}\`: ` +
        '`bucket` must be a bucket name of 3-63 lowercase letters, digits or `-`, starting and ending with a letter or digit, not `Test_Bucket`; ' +
        '`externalId` must be a string, not a number; unknown field `extra`\n',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a config that is not json with one line', () => {
    // Prepare
    const input = write('deploy.json', 'region: cn-hangzhou');

    // Act
    const result = cli(['policy', 'generate', '--config', input, '--out', dir]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')).toEqual([expect.stringMatching(/^policy generate: `.+deploy\.json` is not valid json: /), '']);
  });
});

describe('the real entry point', () => {
  it('runs `policy simulate` through tsx, as `npm run cli` does', () => {
    // Prepare
    const env = { ...process.env };
    delete env.INIT_CWD;

    // Act
    const child = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'cli/index.ts', 'policy', 'simulate', '--input', 'cli/examples/case.json'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });

    // Assess
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ decision: 'Allow', reasons: [{ policy: 'resource', statement: 0, effect: 'Allow' }], errors: [] });
  });
});
