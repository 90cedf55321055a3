import { loadConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';

const valid = {
  IMM_PROJECT: 'immtest',
  IMM_ROLE_ARN: 'acs:ram::2000000000000002:role/imm-bridge-operator',
  IMM_ROLE_EXTERNAL_ID: 'ext-1234',
  REGION: 'cn-hangzhou',
  ALLOWED_BUCKETS: 'test-bucket-2024, other-bucket',
  API_TOKENS_SHA256: 'a'.repeat(64),
  STS_ENDPOINT: 'http://127.0.0.1:9101',
};

describe('loadConfig', () => {
  it('reads a valid environment with defaults for the prefixes', () => {
    // Act
    const config = loadConfig(valid);
    // Assess
    expect(config.allowedBuckets).toEqual(new Set(['test-bucket-2024', 'other-bucket']));
    expect(config.inputPrefix).toBe('incoming/');
    expect(config.resultsPrefix).toBe('results/');
    expect(config.stsEndpoint).toEqual({ protocol: 'http', host: '127.0.0.1:9101' });
    expect(config.stsDurationSeconds).toBe(3600);
  });

  it('treats an empty IMM_ROLE_ARN as "no role" (same-account mode)', () => {
    // Act
    const config = loadConfig({ ...valid, IMM_ROLE_ARN: '' });
    // Assess
    expect(config.immRoleArn).toBeUndefined();
  });

  it('reads IMM_NOTIFY_TOPIC as the MNS topic for task results; empty means none, a bad name is refused', () => {
    // Act
    const withTopic = loadConfig({ ...valid, IMM_NOTIFY_TOPIC: 'imm-bridge-task-done' });
    const empty = loadConfig({ ...valid, IMM_NOTIFY_TOPIC: '' });
    // Assess
    expect(withTopic.notifyTopic).toBe('imm-bridge-task-done');
    expect(empty.notifyTopic).toBeUndefined();
    expect(() => loadConfig({ ...valid, IMM_NOTIFY_TOPIC: 'bad topic/name' })).toThrow(/IMM_NOTIFY_TOPIC must be an MNS topic name/);
  });

  it('trusts only the Alibaba MNS certificate prefix by default, and https prefixes or local http ones when set', () => {
    // Act
    const byDefault = loadConfig(valid);
    const set = loadConfig({ ...valid, MNS_CERT_URL_PREFIXES: 'https://mnstest.oss-cn-hangzhou.aliyuncs.com/, http://localhost:9100/mnstest/,http://127.0.0.1:9/x/' });
    // Assess
    expect(byDefault.mnsCertUrlPrefixes).toEqual(['https://mnstest.oss-cn-hangzhou.aliyuncs.com/']);
    expect(set.mnsCertUrlPrefixes).toEqual(['https://mnstest.oss-cn-hangzhou.aliyuncs.com/', 'http://localhost:9100/mnstest/', 'http://127.0.0.1:9/x/']);
  });

  it.each([
    ['plain http to a remote host', 'http://mnstest.oss-cn-hangzhou.aliyuncs.com/', /must be https/],
    ['a prefix without a final slash', 'https://mnstest.oss-cn-hangzhou.aliyuncs.com', /ending in `\/`/],
    ['a prefix with a query', 'https://example.com/certs/?a=1', /ending in `\/`/],
    ['a prefix with credentials', 'https://user:pw@example.com/', /ending in `\/`/],
    ['not a URL', 'mnstest/', /is not a URL/],
    ['an empty list', ' , ', /at least one URL prefix/],
  ])('refuses MNS_CERT_URL_PREFIXES with %s', (_name, value, message) => {
    // Act / Assess
    expect(() => loadConfig({ ...valid, MNS_CERT_URL_PREFIXES: value })).toThrow(message);
  });

  it('reports every problem in one message', () => {
    // Prepare
    const env = { REGION: 'Hangzhou', ALLOWED_BUCKETS: 'Bad_Bucket', IMM_ROLE_ARN: 'arn:aws:iam::1:role/x', API_TOKENS_SHA256: 'nothex', STS_DURATION_SECONDS: '60' };
    // Act
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toEqual(
      expect.arrayContaining([
        'IMM_PROJECT is required',
        expect.stringContaining('REGION'),
        expect.stringContaining('ALLOWED_BUCKETS'),
        expect.stringContaining('IMM_ROLE_ARN'),
        expect.stringContaining('API_TOKENS_SHA256'),
        expect.stringContaining('STS_DURATION_SECONDS'),
      ]),
    );
    expect((error as Error).message).toContain('; ');
  });

  it('reads the reconciler settings, with defaults of 600 s before asking IMM about a task and 1,000 markers a run', () => {
    // Act
    const defaults = loadConfig(valid);
    const set = loadConfig({ ...valid, RECONCILE_SUBMITTED_AFTER_SECONDS: '0', RECONCILE_MAX_MARKERS: '50' });
    // Assess
    expect([defaults.reconcileSubmittedAfterSeconds, defaults.reconcileMaxMarkers]).toEqual([600, 1000]);
    expect([set.reconcileSubmittedAfterSeconds, set.reconcileMaxMarkers]).toEqual([0, 50]);
  });

  it.each([
    ['RECONCILE_SUBMITTED_AFTER_SECONDS', '-1', /RECONCILE_SUBMITTED_AFTER_SECONDS must be a whole number/],
    ['RECONCILE_SUBMITTED_AFTER_SECONDS', '604801', /RECONCILE_SUBMITTED_AFTER_SECONDS must be at most 604800/],
    ['RECONCILE_MAX_MARKERS', '0', /RECONCILE_MAX_MARKERS must be at least 1/],
    ['RECONCILE_MAX_MARKERS', 'all', /RECONCILE_MAX_MARKERS must be a whole number/],
    ['INPUT_PREFIX', '_pending/in/', /INPUT_PREFIX must not start with `_pending\/`/],
  ])('refuses %s=%s', (name, value, message) => {
    // Act / Assess
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(message);
  });

  it.each([
    ['RESULTS_PREFIX', 'incoming/results/'],
    ['OUTPUT_PREFIX', 'incoming/'],
  ])('refuses %s=%s because the trigger would loop', (name, value) => {
    // Act / Assess
    expect(() => loadConfig({ ...valid, [name]: value })).toThrow(/overlaps INPUT_PREFIX/);
  });
});

describe('loadConfig: the api scope and editable previews (issue 11)', () => {
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it('serves INPUT_PREFIX alone by default and refuses editable previews', () => {
    // Act
    const byDefault = loadConfig(valid);
    const movedInput = loadConfig({ ...valid, INPUT_PREFIX: 'uploads/' });
    // Assess
    expect(byDefault.apiPrefixes).toEqual(['incoming/']);
    expect(movedInput.apiPrefixes).toEqual(['uploads/']);
    expect(byDefault.previewAllowEdit).toBe(false);
  });

  it('reads API_PREFIXES as a comma list and PREVIEW_ALLOW_EDIT=on', () => {
    // Act
    const config = loadConfig({ ...valid, API_PREFIXES: ' incoming/ ,shared/docs/', PREVIEW_ALLOW_EDIT: 'on' });
    // Assess
    expect(config.apiPrefixes).toEqual(['incoming/', 'shared/docs/']);
    expect(config.previewAllowEdit).toBe(true);
  });

  it.each([
    ['no final slash', 'incoming', /`incoming` must be a key prefix ending in `\/`/],
    ['a leading slash', '/incoming/', /`\/incoming\/` must be a key prefix/],
    ['a dot segment', 'incoming/../', /must not hold empty, `\.` or `\.\.` segments/],
    ['an empty segment', 'a//', /must not hold empty/],
    ['a control character', 'in\u0000/', /control characters/],
    ['RESULTS_PREFIX itself', 'results/', /`results\/` overlaps RESULTS_PREFIX `results\/`/],
    ['a prefix under OUTPUT_PREFIX', 'converted/incoming/', /`converted\/incoming\/` overlaps OUTPUT_PREFIX/],
    ['a prefix above RESULTS_PREFIX', 'res', /overlaps RESULTS_PREFIX/],
    ['an empty list', ' , ', /API_PREFIXES must list at least one key prefix, or be unset/],
  ])('refuses API_PREFIXES with %s', (_name, value, message) => {
    // Act / Assess
    expect(() => loadConfig({ ...valid, API_PREFIXES: value })).toThrow(message);
  });

  it('gives one message per problem, next to the other variables\' problems', () => {
    // Act
    const problems = problemsOf({ ...valid, REGION: 'Hangzhou', API_PREFIXES: 'incoming/,results/x/,nope,converted/', PREVIEW_ALLOW_EDIT: 'yes' });
    // Assess
    expect(problems.filter((p) => p.startsWith('API_PREFIXES'))).toEqual([
      'API_PREFIXES: `results/x/` overlaps RESULTS_PREFIX `results/`',
      'API_PREFIXES: `nope` must be a key prefix ending in `/`, such as `incoming/`',
      'API_PREFIXES: `converted/` overlaps OUTPUT_PREFIX `converted/`',
    ]);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('REGION'), 'PREVIEW_ALLOW_EDIT must be `on` or `off`']));
  });

  it('checks API_PREFIXES against the configured RESULTS_PREFIX and OUTPUT_PREFIX', () => {
    // Act
    const moved = loadConfig({ ...valid, RESULTS_PREFIX: 'out/sidecars/', OUTPUT_PREFIX: 'out/media/', API_PREFIXES: 'results/' });
    // Assess
    expect(moved.apiPrefixes).toEqual(['results/']);
    expect(problemsOf({ ...valid, RESULTS_PREFIX: 'out/sidecars/', API_PREFIXES: 'out/' })).toEqual(['API_PREFIXES: `out/` overlaps RESULTS_PREFIX `out/sidecars/`']);
  });
});
