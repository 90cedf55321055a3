// The OSS ACL step (shared/policy/acl.ts): which requests it decides, how an object ACL of `default` inherits the bucket
// ACL, and how authorizeOss and simulate place it after the policies (ref/ram-policy.md §3.3 steps 5–6, §3.5, §7).
import { authorizeOss, parsePolicy, simulate } from '../../shared/policy';
import { aclAccess, aclStep } from '../../shared/policy/acl';
import type { AuthRequest, BucketAcl, Decision, ObjectAcl, OssAcls, ParsedPolicy, PolicyKind } from '../../shared/policy';

function parsed(doc: unknown, kind: PolicyKind = 'identity'): ParsedPolicy {
  const result = parsePolicy(doc, kind);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

const OBJECT = 'acs:oss:*:111:bkt/photos/a.jpg';
const BUCKET = 'acs:oss:*:111:bkt';
const request = (action: string, resource = OBJECT, principal = 'anonymous'): AuthRequest => ({ principal, action, resource });

describe('aclAccess', () => {
  it.each([
    ['oss:GetObject', OBJECT, 'read'],
    ['oss:getobject', OBJECT, 'read'],
    ['oss:GetObjectVersion', OBJECT, 'read'],
    ['oss:PutObject', OBJECT, 'write'],
    ['oss:AppendObject', OBJECT, 'write'],
    ['oss:DeleteObject', OBJECT, 'write'],
    ['oss:AbortMultipartUpload', OBJECT, 'write'],
    ['oss:GetObject', BUCKET, undefined],
    ['oss:ListObjects', BUCKET, undefined],
    ['oss:GetBucketInfo', BUCKET, undefined],
    ['oss:PutBucketAcl', BUCKET, undefined],
    ['oss:GetObjectAcl', OBJECT, undefined],
    ['oss:PutObjectAcl', OBJECT, undefined],
    ['oss:GetObjectTagging', OBJECT, undefined],
    ['oss:PutObjectTagging', OBJECT, undefined],
    ['imm:DetectImageScore', OBJECT, undefined],
  ])('%s on %s needs %s', (action, resource, expected) => {
    // Prepare
    // Act
    const access = aclAccess(action, resource);

    // Assess
    expect(access).toBe(expected);
  });
});

describe('aclStep', () => {
  it.each<[string, BucketAcl, ObjectAcl | undefined, Decision, string]>([
    ['oss:GetObject', 'public-read', 'default', 'Allow', 'acl: Allow (object ACL default inherits bucket ACL public-read, which grants reads)'],
    ['oss:GetObject', 'public-read-write', 'default', 'Allow', 'acl: Allow (object ACL default inherits bucket ACL public-read-write, which grants reads)'],
    ['oss:GetObject', 'private', 'default', 'ImplicitDeny', 'acl: ImplicitDeny (object ACL default inherits bucket ACL private, which grants no reads)'],
    ['oss:GetObject', 'public-read', 'private', 'ImplicitDeny', 'acl: ImplicitDeny (object ACL private overrides bucket ACL public-read, which grants no reads)'],
    ['oss:GetObject', 'private', 'public-read', 'Allow', 'acl: Allow (object ACL public-read overrides bucket ACL private, which grants reads)'],
    ['oss:GetObject', 'public-read', 'public-read', 'Allow', 'acl: Allow (object ACL public-read, which grants reads)'],
    ['oss:GetObject', 'public-read', undefined, 'Allow', 'acl: Allow (no object ACL: bucket ACL public-read, which grants reads)'],
    ['oss:PutObject', 'public-read', undefined, 'ImplicitDeny', 'acl: ImplicitDeny (no object ACL: bucket ACL public-read, which grants no writes)'],
    ['oss:PutObject', 'public-read-write', undefined, 'Allow', 'acl: Allow (no object ACL: bucket ACL public-read-write, which grants writes)'],
    ['oss:PutObject', 'public-read-write', 'public-read', 'ImplicitDeny', 'acl: ImplicitDeny (object ACL public-read overrides bucket ACL public-read-write, which grants no writes)'],
    ['oss:DeleteObject', 'private', 'public-read-write', 'Allow', 'acl: Allow (object ACL public-read-write overrides bucket ACL private, which grants writes)'],
    ['oss:DeleteObject', 'public-read-write', 'default', 'Allow', 'acl: Allow (object ACL default inherits bucket ACL public-read-write, which grants writes)'],
  ])('%s with bucket ACL %s and object ACL %s: %s', (action, bucket, object, decision, line) => {
    // Prepare
    const acl: OssAcls = { bucket, ...(object && { object }) };

    // Act
    const step = aclStep(request(action), acl, 'ImplicitDeny');

    // Assess
    expect(step).toEqual({ decision, reasons: decision === 'Allow' ? [{ policy: 'acl', statement: -1, effect: 'Allow' }] : [], line });
  });

  it.each<[string, Decision, string, string]>([
    ['an explicit deny is final', 'ExplicitDeny', 'oss:GetObject', 'acl: not consulted (an explicit deny is final)'],
    ['a policy allow needs no acl', 'Allow', 'oss:GetObject', 'acl: not consulted (a policy allows it)'],
    ['a management api is never granted by an acl (V17)', 'ImplicitDeny', 'oss:GetBucketInfo', `acl: not consulted (oss:GetBucketInfo on ${BUCKET} is not a data api: acls grant only reads and writes of objects)`],
  ])('%s', (_name, policies, action, line) => {
    // Prepare
    const resource = action === 'oss:GetBucketInfo' ? BUCKET : OBJECT;

    // Act
    const step = aclStep(request(action, resource), { bucket: 'public-read-write', object: 'public-read-write' }, policies);

    // Assess
    expect(step).toEqual({ decision: policies, reasons: [], line });
  });

  it.each([
    ['an unknown bucket acl', { bucket: 'public', object: 'default' }, 'acl: ImplicitDeny (object ACL default inherits bucket ACL unknown `public`, which grants no reads)'],
    ['an unknown object acl', { bucket: 'public-read', object: 'everyone' }, 'acl: ImplicitDeny (object ACL unknown `everyone`, which grants no reads)'],
  ])('lets %s from an untyped caller grant nothing', (_name, acl, line) => {
    // Prepare
    const untyped = acl as unknown as OssAcls;

    // Act
    const step = aclStep(request('oss:GetObject'), untyped, 'ImplicitDeny');

    // Assess
    expect(step).toEqual({ decision: 'ImplicitDeny', reasons: [], line });
  });
});

describe('authorizeOss with acls', () => {
  const allowAll = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] });
  const denyAnonymousReads = parsed(
    { Version: '1', Statement: [{ Effect: 'Deny', Action: 'oss:GetObject', Principal: ['*'], Resource: 'acs:oss:*:111:bkt/*', Condition: { StringLike: { 'acs:UserAgent': '*' } } }] },
    'bucket',
  );

  it('explains every step of an anonymous read granted by the bucket acl (V14)', () => {
    // Prepare
    const input = { request: request('oss:GetObject'), identityPolicies: [], bucketPolicy: null, acl: { bucket: 'public-read', object: 'default' } as OssAcls };

    // Act
    const result = authorizeOss(input);

    // Assess
    expect(result).toEqual({
      decision: 'Allow',
      reasons: [{ policy: 'acl', statement: -1, effect: 'Allow' }],
      explanation: [
        'identity: ImplicitDeny (an anonymous caller has no ram policies)',
        'bucket policy: ImplicitDeny (the bucket has no policy)',
        'result: ImplicitDeny (neither the ram policies nor the bucket policy allow it)',
        'acl: Allow (object ACL default inherits bucket ACL public-read, which grants reads)',
      ],
      errors: [],
    });
  });

  it.each<[string, AuthRequest, ParsedPolicy[], ParsedPolicy | null, OssAcls, Decision]>([
    ['anonymous PutObject on a public-read bucket (V14)', request('oss:PutObject'), [], null, { bucket: 'public-read' }, 'ImplicitDeny'],
    ['an object acl private on a public-read bucket (V15)', request('oss:GetObject'), [], null, { bucket: 'public-read', object: 'private' }, 'ImplicitDeny'],
    ['a management api on a public-read-write bucket (V17)', request('oss:GetBucketInfo', BUCKET, 'acs:ram::111:user/alice'), [], null, { bucket: 'public-read-write' }, 'ImplicitDeny'],
    ['a cross-account user reading a public-read object (V6)', request('oss:GetObject', OBJECT, 'acs:ram::222:user/bob'), [allowAll], null, { bucket: 'private', object: 'public-read' }, 'Allow'],
    ['a cross-account user reading a private object (V6)', request('oss:GetObject', OBJECT, 'acs:ram::222:user/bob'), [allowAll], null, { bucket: 'private', object: 'default' }, 'ImplicitDeny'],
    ['a bucket-policy deny on a public-read object', request('oss:GetObject'), [], denyAnonymousReads, { bucket: 'public-read', object: 'public-read' }, 'ExplicitDeny'],
  ])('decides %s', (_name, req, identityPolicies, bucketPolicy, acl, decision) => {
    // Prepare
    const input = { request: { ...req, context: { 'acs:UserAgent': 'aliyun-sdk-js' } }, identityPolicies, bucketPolicy, acl };

    // Act
    const result = authorizeOss(input);

    // Assess
    expect(result.decision).toBe(decision);
  });

  it('keeps a session policy that does not allow final, before any acl', () => {
    // Prepare
    const sessionPolicy = parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:ListObjects', Resource: '*' }] });
    const req = request('oss:GetObject', OBJECT, 'arn:sts::111:assumed-role/fn/s');

    // Act
    const result = authorizeOss({ request: req, identityPolicies: [allowAll], sessionPolicy, bucketPolicy: null, acl: { bucket: 'public-read' } });

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.explanation).toEqual(['session policy: ImplicitDeny (no statement allows oss:GetObject on acs:oss:*:111:bkt/photos/a.jpg)']);
  });

  it('adds no step when a policy already allows', () => {
    // Prepare
    const req = request('oss:GetObject', OBJECT, 'acs:ram::111:user/alice');

    // Act
    const withAcl = authorizeOss({ request: req, identityPolicies: [allowAll], bucketPolicy: null, acl: { bucket: 'public-read' } });
    const without = authorizeOss({ request: req, identityPolicies: [allowAll], bucketPolicy: null });

    // Assess
    expect(withAcl).toEqual(without);
  });
});

describe('simulate with acls', () => {
  const base = { request: request('oss:GetObject'), identityPolicies: [], resourcePolicy: null };

  it('passes the acl through to the oss flow', () => {
    // Prepare
    const input = { ...base, acl: { bucket: 'public-read' as const } };

    // Act
    const result = simulate(input);

    // Assess
    expect(result.decision).toBe('Allow');
    expect(result.explanation.at(-1)).toBe('acl: Allow (no object ACL: bucket ACL public-read, which grants reads)');
  });

  it.each([
    ['an unknown bucket acl', { bucket: 'public' }, request('oss:GetObject'), ['acl.bucket']],
    ['an unknown object acl', { bucket: 'private', object: 'inherit' }, request('oss:GetObject'), ['acl.object']],
    ['an unknown field', { bucket: 'private', owner: '111' }, request('oss:GetObject'), ['acl.owner']],
    ['an acl that is not an object', 'public-read', request('oss:GetObject'), ['acl']],
    ['an acl on a non-oss action', { bucket: 'public-read' }, request('imm:DetectImageScore', 'acs:imm:cn-hangzhou:111:project/p'), ['acl']],
  ])('refuses %s, evaluating nothing', (_name, acl, req, paths) => {
    // Prepare
    const input = { ...base, request: req, acl: acl as unknown as OssAcls };

    // Act
    const result = simulate(input);

    // Assess
    expect(result.decision).toBe('ImplicitDeny');
    expect(result.errors.map((e) => [e.code, e.path])).toEqual(paths.map((path) => ['InvalidRequest', path]));
  });
});
