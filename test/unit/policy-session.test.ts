// The AssumeRole session policy, simulated as `policy simulate` decides it: it keeps the operator role's session
// on IMM_PROJECT even when the role is given more, it lets the session pass the project's service role, and it is
// the very statements `policy generate` writes into the operator role's policy.
import { loadConfig } from '../../shared/config';
import { immSessionPolicy } from '../../shared/jobs';
import { generatePolicies, IMM_OPERATIONS, passesServiceRole, simulate, type DeployConfig } from '../../shared/policy';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const OPERATOR_ROLE = `acs:ram::${MEDIA}:role/imm-bridge-operator`;
const SESSION = `arn:sts::${MEDIA}:assumed-role/imm-bridge-operator/imm-bridge-on-upload-r1`;
const PROJECT = `acs:imm:cn-hangzhou:${MEDIA}:project/immtest`;
const SERVICE_ROLE = `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`;

const env = {
  IMM_PROJECT: 'immtest',
  IMM_ROLE_ARN: OPERATOR_ROLE,
  REGION: 'cn-hangzhou',
  ALLOWED_BUCKETS: 'test-bucket-2024',
  API_TOKENS_SHA256: 'a'.repeat(64),
};

const deploy: DeployConfig = {
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

/** What an operator role given too much looks like: every IMM action, and any role to pass, anywhere. */
const BROAD_ROLE_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['imm:*', 'ram:PassRole'], Resource: '*' }] };

const sessionPolicy = (overrides: Record<string, string> = {}): unknown => JSON.parse(immSessionPolicy(loadConfig({ ...env, ...overrides })) ?? 'null');

const decide = (action: string, resource: string, identity: unknown = BROAD_ROLE_POLICY, session: unknown = sessionPolicy()) =>
  simulate({ request: { principal: SESSION, action, resource, context: {} }, identityPolicies: [identity], sessionPolicy: session, resourcePolicy: null }).decision;

describe('immSessionPolicy', () => {
  it.each([
    ['imm:GetTask on IMM_PROJECT', 'Allow', 'imm:GetTask', PROJECT],
    ['imm:GetTask on a part of IMM_PROJECT', 'Allow', 'imm:GetTask', `${PROJECT}/task/MediaConvert-1`],
    ['imm:GetTask on another project', 'ImplicitDeny', 'imm:GetTask', `acs:imm:cn-hangzhou:${MEDIA}:project/other`],
    ['imm:GetTask on a project whose name starts alike', 'ImplicitDeny', 'imm:GetTask', `acs:imm:cn-hangzhou:${MEDIA}:project/immtest2`],
    ['imm:GetTask on IMM_PROJECT in another region', 'ImplicitDeny', 'imm:GetTask', `acs:imm:cn-shanghai:${MEDIA}:project/immtest`],
    ['imm:GetTask on a project of another account', 'ImplicitDeny', 'imm:GetTask', `acs:imm:cn-hangzhou:3000000000000003:project/immtest`],
    ['imm:CreateMediaConvertTask on IMM_PROJECT', 'Allow', 'imm:CreateMediaConvertTask', PROJECT],
    ['an IMM action not in use', 'ImplicitDeny', 'imm:DeleteProject', PROJECT],
    ['ram:PassRole on the project service role', 'Allow', 'ram:PassRole', SERVICE_ROLE],
    ['ram:PassRole on another role', 'ImplicitDeny', 'ram:PassRole', `acs:ram::${MEDIA}:role/AdminRole`],
  ])('under a broad operator role: %s → %s', (_name, expected, action, resource) => {
    // Act
    const decision = decide(action, resource);

    // Assess
    expect(decision).toBe(expected);
  });

  it('without the session policy, the same broad role would reach another project (what the policy prevents)', () => {
    // Act
    const decision = decide('imm:GetTask', `acs:imm:cn-hangzhou:${MEDIA}:project/other`, BROAD_ROLE_POLICY, null);

    // Assess
    expect(decision).toBe('Allow');
  });

  it('names the service role IMM_SERVICE_ROLE gives, and no other', () => {
    // Prepare
    const custom = sessionPolicy({ IMM_SERVICE_ROLE: 'imm-custom-role' });

    // Act
    const customRole = decide('ram:PassRole', `acs:ram::${MEDIA}:role/imm-custom-role`, BROAD_ROLE_POLICY, custom);
    const defaultRole = decide('ram:PassRole', SERVICE_ROLE, BROAD_ROLE_POLICY, custom);

    // Assess
    expect([customRole, defaultRole]).toEqual(['Allow', 'ImplicitDeny']);
  });

  it('is the operator role policy `policy generate` writes: same statements, actions and resources', () => {
    // Act
    const session = sessionPolicy();
    const generated = generatePolicies(deploy).operatorRolePolicy;
    const custom = sessionPolicy({ IMM_SERVICE_ROLE: 'imm-custom-role' });
    const generatedCustom = generatePolicies({ ...deploy, immServiceRoleName: 'imm-custom-role' }).operatorRolePolicy;

    // Assess
    expect(session).toEqual(generated);
    expect(custom).toEqual(generatedCustom);
  });

  it('fits the 1,024 bytes STS takes for a session policy', () => {
    // Act
    const text = immSessionPolicy(loadConfig({ ...env, IMM_PROJECT: 'p'.repeat(128), IMM_SERVICE_ROLE: 'r'.repeat(64) })) ?? '';

    // Assess
    expect(Buffer.byteLength(text)).toBeLessThan(1024);
  });

  it('is not sent without IMM_ROLE_ARN: the function then calls IMM as itself and assumes nothing', () => {
    // Act
    const policy = immSessionPolicy(loadConfig({ ...env, IMM_ROLE_ARN: '' }));

    // Assess
    expect(policy).toBeUndefined();
  });
});

describe('the generated operator role policy', () => {
  it('grants ram:PassRole only when an operation in use makes IMM act as the service role', () => {
    // Act
    const watchOnly = generatePolicies({ ...deploy, operations: ['GetTask'] }).operatorRolePolicy;
    const scoring = generatePolicies({ ...deploy, operations: ['DetectImageScore', 'GetTask'] }).operatorRolePolicy;

    // Assess
    expect(watchOnly.Statement.map((s) => s.Sid)).toEqual(['UseImmProject']);
    expect(scoring.Statement.map((s) => s.Sid)).toEqual(['UseImmProject', 'PassImmServiceRole']);
  });

  it.each([...IMM_OPERATIONS])('%s: PassRole is needed exactly for the operations that use the service role', (op) => {
    // Act
    const needs = passesServiceRole(op);

    // Assess
    expect(needs).toBe(!['GetTask', 'RefreshWebofficeToken'].includes(op));
  });
});
