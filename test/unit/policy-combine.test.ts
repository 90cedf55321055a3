import { authorizeAssumeRole, authorizeIdentity, authorizeOss, parsePolicy, simulate } from '../../shared/policy';
import type { AuthRequest, ParsedPolicy, PolicyKind } from '../../shared/policy';

function parsed(doc: unknown, kind: PolicyKind = 'identity'): ParsedPolicy {
  const result = parsePolicy(doc, kind);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

const allowAll = parsed({ Version: '1', Statement: [{ Sid: 'All', Effect: 'Allow', Action: ['oss:*', 'sts:AssumeRole', 'imm:*'], Resource: '*' }] });
const denyAll = parsed({ Version: '1', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] });
const getObject = (principal: string, extra: Partial<AuthRequest> = {}): AuthRequest => ({
  principal, action: 'oss:GetObject', resource: 'acs:oss:*:111:bkt/a', ...extra,
});

describe('authorizeIdentity', () => {
  it.each([
    ['an account root is not governed by ram', 'acs:ram::111:root', [denyAll], 'Allow', 'identity: Allow (`acs:ram::111:root` is an account root, which ram policies do not govern)'],
    ['a service has no ram policies', 'imm.aliyuncs.com', [allowAll], 'ImplicitDeny', 'identity: ImplicitDeny (`imm.aliyuncs.com`, a cloud service, has no ram policies)'],
    ['an anonymous caller has no ram policies', 'anonymous', [allowAll], 'ImplicitDeny', 'identity: ImplicitDeny (an anonymous caller has no ram policies)'],
    ['a user is allowed by an identity policy', 'acs:ram::111:user/a', [allowAll], 'Allow', 'identity: Allow by identity[0] Statement[0] (`All`)'],
    ['a Deny in any identity policy wins', 'acs:ram::111:user/a', [allowAll, denyAll], 'ExplicitDeny', 'identity: ExplicitDeny by identity[1] Statement[0]'],
  ])('%s', (_name, principal, identityPolicies, decision, line) => {
    // Prepare
    const request = { principal, action: 'imm:DetectImageScore', resource: 'acs:imm:cn-hangzhou:111:project/p' };

    // Act
    const result = authorizeIdentity({ request, identityPolicies });

    // Assess
    expect(result.decision).toBe(decision);
    expect(result.explanation).toEqual([line]);
  });

  it('lets a session policy that does not allow end the flow', () => {
    // Prepare
    const sessionPolicy = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:ListObjects', Resource: '*' }] });

    // Act
    const result = authorizeIdentity({ request: getObject('arn:sts::111:assumed-role/fn/s'), identityPolicies: [allowAll], sessionPolicy });

    // Assess
    expect(result).toEqual({
      decision: 'ImplicitDeny',
      reasons: [],
      explanation: ['session policy: ImplicitDeny (no statement allows oss:GetObject on acs:oss:*:111:bkt/a)'],
      errors: [],
    });
  });

  it('names the condition that stopped an Allow', () => {
    // Prepare
    const policy = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } }] });

    // Act
    const result = authorizeIdentity({ request: getObject('acs:ram::111:user/a', { context: { 'acs:SourceIp': '8.8.8.8' } }), identityPolicies: [policy] });

    // Assess
    expect(result.explanation).toEqual(['identity: ImplicitDeny (a condition failed: identity[0] Statement[0] IpAddress acs:SourceIp)']);
  });

  it('refuses an unreadable principal with an error', () => {
    // Prepare
    const request = getObject('alice');

    // Act
    const result = authorizeIdentity({ request, identityPolicies: [allowAll] });

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.errors).toEqual([expect.objectContaining({ code: 'InvalidPrincipal', path: 'request.principal' })]);
  });
});

describe('authorizeOss', () => {
  const publicRead = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:111:bkt/*', Principal: ['*'] }] }, 'bucket');

  it('explains each step of a cross-account allow', () => {
    // Prepare
    const request = getObject('acs:ram::222:user/bob');

    // Act
    const result = authorizeOss({ request, identityPolicies: [allowAll], bucketPolicy: publicRead });

    // Assess
    expect(result).toEqual({
      decision: 'Allow',
      reasons: [{ policy: 'resource', statement: 0, effect: 'Allow' }],
      explanation: [
        'identity: ImplicitDeny (cross-account callers are granted only by the bucket policy: the bucket belongs to account `111`)',
        'bucket policy: Allow by Statement[0]',
        'result: Allow (ram policies and the bucket policy are unioned: one allow suffices)',
      ],
      errors: [],
    });
  });

  it.each([
    ['ignores the caller account\'s Deny by default (V7)', false, 'Allow'],
    ['honours it when configured', true, 'ExplicitDeny'],
  ])('%s', (_name, honourCrossAccountCallerDeny, decision) => {
    // Prepare
    const request = getObject('acs:ram::222:user/bob');

    // Act
    const result = authorizeOss({ request, identityPolicies: [denyAll], bucketPolicy: publicRead, honourCrossAccountCallerDeny });

    // Assess
    expect(result.decision).toBe(decision);
  });

  it.each([
    ['the root of another account is cross-account too', 'acs:ram::222:root', 'ImplicitDeny'],
    ['the owner root is allowed', 'acs:ram::111:root', 'Allow'],
  ])('%s', (_name, principal, decision) => {
    // Prepare
    // Act
    const result = authorizeOss({ request: getObject(principal), identityPolicies: [], bucketPolicy: null });

    // Assess
    expect(result.decision).toBe(decision);
  });

  it('lets the caller\'s own RAM policies decide a resource without an owner', () => {
    // Prepare
    const request = { principal: 'acs:ram::222:user/bob', action: 'oss:ListBuckets', resource: 'acs:oss:*:*:*' };

    // Act
    const result = authorizeOss({ request, identityPolicies: [allowAll], bucketPolicy: null });

    // Assess
    expect(result.decision).toBe('Allow');
  });

  it('refuses a resource that is not an oss arn', () => {
    // Prepare
    const request = getObject('acs:ram::111:root', { resource: 'bkt/a' });

    // Act
    const result = authorizeOss({ request, identityPolicies: [allowAll], bucketPolicy: publicRead });

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.explanation[0]).toContain('is not an oss arn');
  });
});

describe('authorizeAssumeRole', () => {
  const trust = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::222:root'] }, Condition: { StringEquals: { 'sts:ExternalId': 'abcd1234' } } }] }, 'trust');
  const assume = (principal: string, externalId?: string): AuthRequest => ({
    principal, action: 'sts:AssumeRole', resource: 'acs:ram::111:role/operator', context: externalId === undefined ? {} : { 'sts:ExternalId': externalId },
  });

  it.each([
    ['says which side failed: the trust policy condition', 'acs:ram::222:user/bob', [allowAll], 'wrong', 'ImplicitDeny', [
      'identity: Allow by identity[0] Statement[0] (`All`)',
      'trust policy: ImplicitDeny (a condition failed: Statement[0] StringEquals sts:ExternalId)',
      'result: ImplicitDeny (the trust policy did not allow it; both must)',
    ]],
    ['says which side failed: the principal is not trusted', 'acs:ram::333:user/eve', [allowAll], 'abcd1234', 'ImplicitDeny', [
      'identity: Allow by identity[0] Statement[0] (`All`)',
      'trust policy: ImplicitDeny (principal acs:ram::333:user/eve is not trusted)',
      'result: ImplicitDeny (the trust policy did not allow it; both must)',
    ]],
    ['says which side failed: the caller', 'acs:ram::222:user/bob', [], 'abcd1234', 'ImplicitDeny', [
      'identity: ImplicitDeny (no policy is attached, so nothing allows sts:AssumeRole on acs:ram::111:role/operator)',
      'trust policy: Allow by Statement[0]',
      "result: ImplicitDeny (the caller's identity policies did not allow it; both must)",
    ]],
    ['an explicit deny of the caller wins', 'acs:ram::222:user/bob', [allowAll, denyAll], 'abcd1234', 'ExplicitDeny', [
      'identity: ExplicitDeny by identity[1] Statement[0]',
      'trust policy: Allow by Statement[0]',
      'result: ExplicitDeny (an explicit deny wins)',
    ]],
    ['root accounts may not assume roles', 'acs:ram::222:root', [], 'abcd1234', 'ImplicitDeny', [
      'identity: ImplicitDeny (roles may not be assumed by root accounts)',
    ]],
  ])('%s', (_name, principal, identityPolicies, externalId, decision, explanation) => {
    // Prepare
    const request = assume(principal, externalId);

    // Act
    const result = authorizeAssumeRole({ request, identityPolicies, trustPolicy: trust });

    // Assess
    expect(result.decision).toBe(decision);
    expect(result.explanation).toEqual(explanation);
  });

  it('trusts nobody without a trust policy', () => {
    // Prepare
    const request = assume('acs:ram::222:user/bob', 'abcd1234');

    // Act
    const result = authorizeAssumeRole({ request, identityPolicies: [allowAll], trustPolicy: null });

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.explanation[1]).toBe('trust policy: ImplicitDeny (the role has no trust policy)');
  });
});

describe('simulate', () => {
  it('fails closed and lists every problem with its document path', () => {
    // Prepare
    const input = {
      request: { principal: 'acs:ram::111:user/a', action: 'oss:GetObject', resource: 'acs:oss:*:111:bkt/a' },
      identityPolicies: [{ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] }, '{"Version":"1"'],
      resourcePolicy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] },
      sessionPolicy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*', Principal: '*' }] },
    };

    // Act
    const result = simulate(input);

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.errors.map((e) => [e.code, e.path])).toEqual([
      ['InvalidJson', 'identityPolicies[1]'],
      ['PrincipalNotAllowed', 'sessionPolicy.Statement[0].Principal'],
      ['MissingPrincipal', 'resourcePolicy.Statement[0].Principal'],
    ]);
  });

  it.each([
    ['a request without action', { principal: 'acs:ram::111:user/a', resource: '*' }, 'request.action'],
    ['a numeric context value', { principal: 'acs:ram::111:user/a', action: 'oss:GetObject', resource: '*', context: { 'oss:max-keys': 10 } }, 'request.context.oss:max-keys'],
  ])('refuses %s', (_name, request, path) => {
    // Prepare
    const input = { request, identityPolicies: [], resourcePolicy: null } as unknown as Parameters<typeof simulate>[0];

    // Act
    const result = simulate(input);

    // Assess
    expect(result.errors).toEqual([expect.objectContaining({ code: 'InvalidRequest', path })]);
  });

  it('unions a generic resource policy with the identity policies', () => {
    // Prepare
    const input = {
      request: { principal: 'acs:ram::222:user/b', action: 'kms:Decrypt', resource: 'acs:kms:cn-hangzhou:111:key/k' },
      identityPolicies: [],
      resourcePolicy: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*', Principal: ['acs:ram::222:user/b'] }] },
    };

    // Act
    const result = simulate(input);

    // Assess
    expect(result.decision).toBe('Allow');
    expect(result.reasons).toEqual([{ policy: 'resource', statement: 0, effect: 'Allow' }]);
  });
});
