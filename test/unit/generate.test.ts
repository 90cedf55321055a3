import { validateDeployConfig } from '../../cli/generate';
import { PENDING_DIR as CONFIG_PENDING_DIR } from '../../shared/config';
import { PENDING_DIR, PROBE_DIR } from '../../shared/policy/generate';
import { PROBE_DIR as SCOPE_PROBE_DIR } from '../../shared/scope';
import {
  authorizeAssumeRole,
  authorizeIdentity,
  authorizeOss,
  generatePolicies,
  IMM_OPERATIONS,
  lintPolicy,
  parsePolicy,
  type AuthorizationResult,
  type AuthRequest,
  type DeployConfig,
  type GeneratedPolicies,
  type ParsedPolicy,
  type PolicyKind,
} from '../../shared/policy';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const OTHER = '3000000000000003';

const demo: DeployConfig = {
  region: 'cn-hangzhou',
  dataAccountId: DATA,
  mediaAccountId: MEDIA,
  bucket: 'test-bucket-2024',
  inputPrefix: 'incoming/',
  resultsPrefix: 'results/',
  outputPrefix: 'converted/',
  immProject: 'immtest',
  operations: [...IMM_OPERATIONS],
  operatorRoleName: 'imm-bridge-operator',
  functionRoleName: 'imm-bridge-fn',
  externalId: 'imm-bridge-7f3a9c2e',
};

function parsed(doc: unknown, kind: PolicyKind): ParsedPolicy {
  const result = parsePolicy(doc, kind);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

const KINDS: Record<keyof GeneratedPolicies, PolicyKind> = {
  bucketPolicy: 'bucket',
  functionRoleTrustPolicy: 'trust',
  functionRolePolicy: 'identity',
  operatorTrustPolicy: 'trust',
  operatorRolePolicy: 'identity',
  immServiceRolePolicy: 'identity',
};

describe('generatePolicies', () => {
  const variants: [string, DeployConfig][] = [
    ['the demo with every operation', demo],
    ['scoring only', { ...demo, operations: ['DetectImageScore'] }],
    ['one account for data and media', { ...demo, mediaAccountId: DATA }],
    ['a custom imm service role and nested prefixes', { ...demo, immServiceRoleName: 'imm-custom-role', inputPrefix: 'in/raw/', resultsPrefix: 'out/results/', outputPrefix: 'out/converted/' }],
    ['task notifications to an mns topic', { ...demo, notifyTopic: 'imm-bridge-task-done' }],
  ];
  const cases = variants.flatMap(([name, config]) =>
    (Object.keys(KINDS) as (keyof GeneratedPolicies)[]).filter((policy) => generatePolicies(config)[policy] !== undefined).map((policy) => [name, policy, config] as const),
  );

  it.each(cases)('%s: %s lints with no finding at all', (_name, policy, config) => {
    // Prepare
    const generated = generatePolicies(config);

    // Act
    const findings = lintPolicy(generated[policy], KINDS[policy]);

    // Assess
    expect(findings).toEqual([]);
  });

  it('grants the operator role exactly the imm actions in use, once each', () => {
    // Prepare
    const config: DeployConfig = { ...demo, operations: ['GetTask', 'DetectImageScore', 'GetTask'] };

    // Act
    const { operatorRolePolicy } = generatePolicies(config);

    // Assess
    expect(operatorRolePolicy.Statement[0].Action).toEqual(['imm:GetTask', 'imm:DetectImageScore']);
  });

  it('keeps the exported shape the local stack seeds itself from', () => {
    // Prepare
    const config = demo;

    // Act
    const generated = generatePolicies(config);

    // Assess
    expect(Object.keys(generated).sort()).toEqual(['bucketPolicy', 'functionRolePolicy', 'functionRoleTrustPolicy', 'operatorRolePolicy', 'operatorTrustPolicy']);
  });

  it('with a notify topic, lets IMM\'s service role publish to that topic of the media account and nothing else', () => {
    // Prepare
    const config: DeployConfig = { ...demo, notifyTopic: 'imm-bridge-task-done' };
    const serviceRole = { kind: 'assumed-role' as const, arn: `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-service`, accountId: MEDIA };
    const request = (resource: string): AuthRequest => ({ principal: serviceRole.arn, action: 'mns:PublishMessage', resource, context: {} });
    // Act
    const policy = parsed(generatePolicies(config).immServiceRolePolicy, 'identity');
    const own = authorizeIdentity({ request: request(`acs:mns:cn-hangzhou:${MEDIA}:/topics/imm-bridge-task-done/messages`), identityPolicies: [policy] });
    const other = authorizeIdentity({ request: request(`acs:mns:cn-hangzhou:${MEDIA}:/topics/other/messages`), identityPolicies: [policy] });
    // Assess
    expect(own.decision).toBe('Allow');
    expect(other.decision).toBe('ImplicitDeny');
  });
});

describe('generated policies, the flow they allow and nothing more', () => {
  const generated = generatePolicies(demo);
  const bucketPolicy = parsed(generated.bucketPolicy, 'bucket');
  const functionTrust = parsed(generated.functionRoleTrustPolicy, 'trust');
  const functionPolicy = parsed(generated.functionRolePolicy, 'identity');
  const operatorTrust = parsed(generated.operatorTrustPolicy, 'trust');
  const operatorPolicy = parsed(generated.operatorRolePolicy, 'identity');
  // What the system policy AliyunIMMDefaultRolePolicy amounts to for OSS: broad, but only in the media account.
  const immServicePolicy = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] }, 'identity');
  // Another role of the data account, allowed to assume any role by its own account.
  const otherRolePolicy = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'oss:*'], Resource: '*' }] }, 'identity');

  const FC = 'fc.aliyuncs.com';
  const FUNCTION = `arn:sts::${DATA}:assumed-role/imm-bridge-fn/fc-on-upload-1f3e`;
  const OPERATOR = `arn:sts::${MEDIA}:assumed-role/imm-bridge-operator/imm-bridge-on-upload-req-42`;
  const IMM = `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-x`;
  const OTHER_DATA_ROLE = `arn:sts::${DATA}:assumed-role/etl-job/run-7`;
  const FUNCTION_ROLE_ARN = `acs:ram::${DATA}:role/imm-bridge-fn`;
  const OPERATOR_ROLE_ARN = `acs:ram::${MEDIA}:role/imm-bridge-operator`;
  const PROJECT = `acs:imm:cn-hangzhou:${MEDIA}:project/immtest`;
  const object = (key: string, bucket = 'test-bucket-2024') => `acs:oss:*:${DATA}:${bucket}/${key}`;
  const BUCKET = `acs:oss:*:${DATA}:test-bucket-2024`;
  const WITH_ID = { 'sts:ExternalId': demo.externalId };

  /** [what, principal, action, resource, context]: every row has all five, since jest reads a longer callback as async. */
  type Row = [string, string, string, string, NonNullable<AuthRequest['context']>];

  /** Who asks, and which combination of policies RAM/OSS applies for them. */
  function decide(principal: string, action: string, resource: string, context: AuthRequest['context'] = {}): AuthorizationResult {
    const request: AuthRequest = { principal, action, resource, context };
    const identityPolicies =
      principal === FUNCTION ? [functionPolicy] : principal === OPERATOR ? [operatorPolicy] : principal === IMM ? [immServicePolicy] : principal === FC ? [] : [otherRolePolicy];
    if (action === 'sts:AssumeRole') {
      const trustPolicy = resource === FUNCTION_ROLE_ARN ? functionTrust : resource === OPERATOR_ROLE_ARN ? operatorTrust : null;
      return authorizeAssumeRole({ request, identityPolicies, trustPolicy });
    }
    if (action.startsWith('oss:')) {
      const owned = resource.startsWith(`acs:oss:*:${DATA}:test-bucket-2024`);
      return authorizeOss({ request, identityPolicies, bucketPolicy: owned ? bucketPolicy : null });
    }
    return authorizeIdentity({ request, identityPolicies });
  }

  const needed: Row[] = [
    ['fc starts the function with its role', FC, 'sts:AssumeRole', FUNCTION_ROLE_ARN, {}],
    ['the function assumes the operator role with the ExternalId', FUNCTION, 'sts:AssumeRole', OPERATOR_ROLE_ARN, WITH_ID],
    ...demo.operations.map((op): Row => [`the operator calls ${op} on the project`, OPERATOR, `imm:${op}`, PROJECT, {}]),
    ['the operator passes the imm service role', OPERATOR, 'ram:PassRole', `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`, {}],
    ['imm reads an input', IMM, 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['imm writes an output', IMM, 'oss:PutObject', object('converted/a/b.mp4'), {}],
    ['the function reads an input', FUNCTION, 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['the function writes a sidecar', FUNCTION, 'oss:PutObject', object('results/incoming/a/b.jpg.json'), {}],
    ['the function reads a sidecar, to skip a duplicate delivery', FUNCTION, 'oss:GetObject', object('results/incoming/a/b.jpg.json'), {}],
    ['the function reads the bucket versioning state, since claims need an unversioned bucket', FUNCTION, 'oss:GetBucketVersioning', BUCKET, {}],
    ['the function writes a pending marker', FUNCTION, 'oss:PutObject', object('results/_pending/incoming/a/b.jpg.9F0A.json'), {}],
    ['the function deletes a pending marker', FUNCTION, 'oss:DeleteObject', object('results/_pending/incoming/a/b.jpg.9F0A.json'), {}],
    ['the reconciler lists the pending markers', FUNCTION, 'oss:ListObjects', BUCKET, { 'oss:Prefix': 'results/_pending/' }],
    ['the reconciler heads an input, to see whether that version still exists', FUNCTION, 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['the deep health check writes its probe image', FUNCTION, 'oss:PutObject', object('incoming/.imm-bridge-probe/0b1c.jpg'), {}],
    ['the deep health check deletes its probe image', FUNCTION, 'oss:DeleteObject', object('incoming/.imm-bridge-probe/0b1c.jpg'), {}],
    ['imm reads the probe image', IMM, 'oss:GetObject', object('incoming/.imm-bridge-probe/0b1c.jpg'), {}],
  ];

  it.each(needed)('allows what the flow needs: %s', (_name, principal, action, resource, context) => {
    // Prepare
    const request = [principal, action, resource, context] as const;

    // Act
    const result = decide(...request);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.decision).toBe('Allow');
  });

  const notNeeded: Row[] = [
    ['the function assumes the operator role without the ExternalId', FUNCTION, 'sts:AssumeRole', OPERATOR_ROLE_ARN, {}],
    ['the function assumes the operator role with a wrong ExternalId', FUNCTION, 'sts:AssumeRole', OPERATOR_ROLE_ARN, { 'sts:ExternalId': 'guess' }],
    ['another role of the data account assumes the operator role', OTHER_DATA_ROLE, 'sts:AssumeRole', OPERATOR_ROLE_ARN, WITH_ID],
    ['the data account root assumes the operator role', `acs:ram::${DATA}:root`, 'sts:AssumeRole', OPERATOR_ROLE_ARN, WITH_ID],
    ['another service assumes the function role', 'imm.aliyuncs.com', 'sts:AssumeRole', FUNCTION_ROLE_ARN, {}],
    ['the function assumes another role of the media account', FUNCTION, 'sts:AssumeRole', `acs:ram::${MEDIA}:role/admin`, WITH_ID],
    ['the operator deletes the project', OPERATOR, 'imm:DeleteProject', PROJECT, {}],
    ['the operator creates a project', OPERATOR, 'imm:CreateProject', `acs:imm:cn-hangzhou:${MEDIA}:project/new`, {}],
    ['the operator calls an imm action not in use', OPERATOR, 'imm:DetectImageLabels', PROJECT, {}],
    ['the operator uses another project', OPERATOR, 'imm:DetectImageScore', `acs:imm:cn-hangzhou:${MEDIA}:project/other`, {}],
    ['the operator uses the project name in another region', OPERATOR, 'imm:DetectImageScore', `acs:imm:cn-shanghai:${MEDIA}:project/immtest`, {}],
    ['the operator passes another role', OPERATOR, 'ram:PassRole', `acs:ram::${MEDIA}:role/admin`, {}],
    ['the operator reads the data bucket itself', OPERATOR, 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['imm deletes an input', IMM, 'oss:DeleteObject', object('incoming/a/b.jpg'), {}],
    ['imm writes under the input prefix', IMM, 'oss:PutObject', object('incoming/loop.jpg'), {}],
    ['imm reads a sidecar', IMM, 'oss:GetObject', object('results/incoming/a/b.jpg.json'), {}],
    ['imm writes a sidecar', IMM, 'oss:PutObject', object('results/incoming/a/b.jpg.json'), {}],
    ['imm reads outside every prefix', IMM, 'oss:GetObject', object('private/salaries.csv'), {}],
    ['imm lists the bucket', IMM, 'oss:ListObjects', BUCKET, {}],
    ['imm changes the bucket policy', IMM, 'oss:PutBucketPolicy', BUCKET, {}],
    ['imm reads another bucket of the data account', IMM, 'oss:GetObject', object('incoming/a.jpg', 'other-bucket'), {}],
    ['the imm role of another account reads an input', `arn:sts::${OTHER}:assumed-role/AliyunIMMDefaultRole/imm-x`, 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['another role of the media account reads an input', `arn:sts::${MEDIA}:assumed-role/imm-bridge-ops/s`, 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['an anonymous caller reads an input', 'anonymous', 'oss:GetObject', object('incoming/a/b.jpg'), {}],
    ['the function writes under the input prefix', FUNCTION, 'oss:PutObject', object('incoming/loop.jpg'), {}],
    ['the function deletes an input', FUNCTION, 'oss:DeleteObject', object('incoming/a/b.jpg'), {}],
    ['the function deletes a sidecar', FUNCTION, 'oss:DeleteObject', object('results/incoming/a/b.jpg.json'), {}],
    ['the function writes an output', FUNCTION, 'oss:PutObject', object('converted/a/b.mp4'), {}],
    ['the function reads outside every prefix', FUNCTION, 'oss:GetObject', object('private/salaries.csv'), {}],
    ['the function reads another bucket', FUNCTION, 'oss:GetObject', object('incoming/a.jpg', 'other-bucket'), {}],
    ['the function lists the bucket', FUNCTION, 'oss:ListObjects', BUCKET, {}],
    ['the function changes the bucket versioning', FUNCTION, 'oss:PutBucketVersioning', BUCKET, {}],
    ['the function reads another bucket versioning state', FUNCTION, 'oss:GetBucketVersioning', `acs:oss:*:${DATA}:other-bucket`, {}],
    ['the function lists the whole bucket (empty prefix)', FUNCTION, 'oss:ListObjects', BUCKET, { 'oss:Prefix': '' }],
    ['the function lists the sidecars', FUNCTION, 'oss:ListObjects', BUCKET, { 'oss:Prefix': 'results/' }],
    ['the function lists the inputs', FUNCTION, 'oss:ListObjects', BUCKET, { 'oss:Prefix': 'incoming/' }],
    ['the function lists the pending markers of another bucket', FUNCTION, 'oss:ListObjects', 'acs:oss:*:' + DATA + ':other-bucket', { 'oss:Prefix': 'results/_pending/' }],
    ['the function deletes a claim', FUNCTION, 'oss:DeleteObject', object('results/incoming/a/b.jpg.9F0A.claim'), {}],
    ['the function calls imm directly', FUNCTION, 'imm:DetectImageScore', PROJECT, {}],
    ['the function writes next to the probe folder', FUNCTION, 'oss:PutObject', object('incoming/.imm-bridge-probe.jpg'), {}],
    ['the function deletes an input beside the probe folder', FUNCTION, 'oss:DeleteObject', object('incoming/.imm-bridge-probeX/a.jpg'), {}],
  ];

  it.each(notNeeded)('denies what the flow does not need: %s', (_name, principal, action, resource, context) => {
    // Prepare
    const request = [principal, action, resource, context] as const;

    // Act
    const result = decide(...request);

    // Assess
    expect(result.errors).toEqual([]);
    expect(result.decision).not.toBe('Allow');
  });

  it('grants on the same marker directory the functions write to', () => {
    // Act / Assess
    expect(PENDING_DIR).toBe(CONFIG_PENDING_DIR);
  });

  it('grants the probe folder on-upload ignores', () => {
    // Act / Assess
    expect(PROBE_DIR).toBe(SCOPE_PROBE_DIR);
  });

  it('lets imm write outputs only when an operation in use writes them', () => {
    // Prepare
    const scoringOnly = parsed(generatePolicies({ ...demo, operations: ['DetectImageScore', 'GetTask'] }).bucketPolicy, 'bucket');
    const request: AuthRequest = { principal: IMM, action: 'oss:PutObject', resource: object('converted/a/b.mp4') };

    // Act
    const result = authorizeOss({ request, identityPolicies: [immServicePolicy], bucketPolicy: scoringOnly });

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
  });
});

describe('validateDeployConfig', () => {
  it('accepts the demo', () => {
    // Prepare
    const raw = { ...demo };

    // Act
    const result = validateDeployConfig(raw);

    // Assess
    expect(result).toEqual({ ok: true, config: demo });
  });

  it.each([
    ['a missing field', { region: undefined }, '`region` is required'],
    ['a region that is no region id', { region: 'Hangzhou' }, '`region` must be a region id, such as `cn-hangzhou`, not `Hangzhou`'],
    ['an account id that is not digits', { dataAccountId: 'acme' }, '`dataAccountId` must be an account uid (digits), such as `1000000000000001`, not `acme`'],
    ['an account id given as a number', { mediaAccountId: 2000000000000002 }, '`mediaAccountId` must be a string, not a number'],
    ['an invalid bucket name', { bucket: 'Test_Bucket' }, '`bucket` must be a bucket name of 3-63 lowercase letters, digits or `-`, starting and ending with a letter or digit, not `Test_Bucket`'],
    ['a prefix without its final slash', { inputPrefix: 'incoming' }, '`inputPrefix` must be an object key prefix ending in `/`, such as `incoming/`, without a leading `/`, `*` or `?`, not `incoming`'],
    ['a prefix with a wildcard', { outputPrefix: 'out*/' }, '`outputPrefix` must be an object key prefix ending in `/`, such as `incoming/`, without a leading `/`, `*` or `?`, not `out*/`'],
    ['results under the input prefix', { resultsPrefix: 'incoming/results/' }, '`resultsPrefix` must not overlap `inputPrefix` `incoming/`, not `incoming/results/`: the trigger would fire on its own output'],
    ['an unknown operation', { operations: ['DetectImageScore', 'DeleteProject'] }, '`operations[1]` must be one of `DetectImageScore`, `CreateMediaConvertTask`, `CreateOfficeConversionTask`, `GenerateWebofficeToken`, `RefreshWebofficeToken`, `GetTask`, not `DeleteProject`'],
    ['no operation', { operations: [] }, '`operations` must list at least one imm operation'],
    ['an operation twice', { operations: ['GetTask', 'GetTask'] }, '`operations` must not list an operation twice'],
    ['a role name with a slash', { operatorRoleName: 'team/operator' }, '`operatorRoleName` must be a ram role name of 1-64 letters, digits, `.`, `_` or `-`, not `team/operator`'],
    ['a one-character ExternalId', { externalId: 'x' }, '`externalId` must be 2-1224 letters, digits or `_+=,.@:/-` (sts ExternalId rules), not `x`'],
    ['a misspelt field', { outputPerfix: 'converted/' }, 'unknown field `outputPerfix`'],
  ])('refuses %s with a message naming the field', (_name, change, message) => {
    // Prepare
    const raw = { ...demo, ...change };

    // Act
    const result = validateDeployConfig(raw);

    // Assess
    expect(result).toEqual({ ok: false, problems: [message] });
  });

  it('lists every problem, not only the first', () => {
    // Prepare
    const raw = { ...demo, bucket: 'B', externalId: undefined, immProject: '' };

    // Act
    const result = validateDeployConfig(raw);

    // Assess
    expect(result.ok ? [] : result.problems.map((p) => p.split(' ')[0])).toEqual(['`bucket`', '`immProject`', '`externalId`']);
  });

  it('refuses a document that is not an object', () => {
    // Prepare
    const raw = ['region'];

    // Act
    const result = validateDeployConfig(raw);

    // Assess
    expect(result).toEqual({ ok: false, problems: ['the config must be a json object, not an array'] });
  });
});
