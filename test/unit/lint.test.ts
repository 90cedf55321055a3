import { canonicalAction, catalogueActions, ossResourceLevel } from '../../shared/policy/catalogue';
import { BUCKET_STATEMENT_LIMIT, inferPolicyKind, lintPolicy, SIZE_LIMITS, type Finding } from '../../shared/policy/lint';
import type { PolicyKind } from '../../shared/policy';

type Statement = Record<string, unknown>;

const policy = (...statements: Statement[]) => ({ Version: '1', Statement: statements });
const allow = (extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:111:bkt/*', ...extra });
const bucketAllow = (extra: Statement = {}): Statement => allow({ Principal: ['arn:sts::222:assumed-role/fn/*'], ...extra });
const trustAllow = (extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::222:root'] }, ...extra });

/** An identity policy of exactly `size` characters once minified. */
function identityOfSize(size: number): unknown {
  const doc = policy(allow({ Sid: '' }));
  const padding = size - JSON.stringify(doc).length;
  return policy(allow({ Sid: 'x'.repeat(padding) }));
}

/** A bucket policy of exactly `size` bytes once minified, spread over statements under the per-statement limit. */
function bucketOfSize(size: number): unknown {
  const statements: Statement[] = [];
  const sid = (n: number) => `s${String(n).padStart(4, '0')}`;
  for (let i = 0; i < 6; i++) statements.push(bucketAllow({ Sid: sid(i) }));
  const base = JSON.stringify(policy(...statements)).length;
  const perStatement = Math.floor((size - base) / statements.length);
  const rest = size - base - perStatement * statements.length;
  return policy(...statements.map((s, i) => ({ ...s, Sid: `${s.Sid as string}${'x'.repeat(perStatement + (i === 0 ? rest : 0))}` })));
}

const codes = (findings: Finding[]) => findings.map((f) => f.code);

describe('lintPolicy, one rule at a time', () => {
  // [code, severity, kind, document that has the problem, a close document that does not, path of the finding]
  const rules: [string, Finding['severity'], PolicyKind, unknown, unknown, string][] = [
    // errors: what parse refuses
    ['InvalidJson', 'error', 'identity', '{"Version":"1",', JSON.stringify(policy(allow())), ''],
    ['InvalidType', 'error', 'identity', { Version: '1', Statement: 'allow everything' }, policy(allow()), 'Statement'],
    ['UnknownElement', 'error', 'identity', policy(allow({ effect: 'Allow' })), policy(allow()), 'Statement[0].effect'],
    ['MissingVersion', 'error', 'identity', { Statement: [allow()] }, policy(allow()), 'Version'],
    ['InvalidVersion', 'error', 'identity', { Version: '2012-10-17', Statement: [allow()] }, policy(allow()), 'Version'],
    ['InvalidEffect', 'error', 'identity', policy(allow({ Effect: 'allow' })), policy(allow()), 'Statement[0].Effect'],
    ['UnsupportedOperator', 'error', 'identity', policy(allow({ Condition: { StringEqual: { 'acs:UserAgent': 'x' } } })), policy(allow({ Condition: { StringEquals: { 'acs:UserAgent': 'x' } } })), 'Statement[0].Condition.StringEqual'],
    ['UnsupportedOperator', 'error', 'identity', policy(allow({ Condition: { 'ForAnyValue:StringEquals': { 'acs:UserAgent': 'x' } } })), policy(allow({ Condition: { StringLike: { 'acs:UserAgent': 'x' } } })), 'Statement[0].Condition.ForAnyValue:StringEquals'],
    ['ActionAndNotAction', 'error', 'identity', policy(allow({ NotAction: 'oss:PutObject' })), policy(allow()), 'Statement[0]'],
    ['MissingAction', 'error', 'identity', policy({ Effect: 'Allow', Resource: '*' }), policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }), 'Statement[0]'],
    ['PrincipalNotAllowed', 'error', 'identity', policy(allow({ Principal: ['*'] })), policy(allow()), 'Statement[0].Principal'],
    ['MissingPrincipal', 'error', 'bucket', policy(allow()), policy(bucketAllow()), 'Statement[0].Principal'],
    ['InvalidPrincipal', 'error', 'bucket', policy(allow({ Principal: { RAM: ['acs:ram::222:root'] } })), policy(bucketAllow()), 'Statement[0].Principal'],
    ['MissingResource', 'error', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject' }), policy(allow()), 'Statement[0].Resource'],
    ['NotResourceNotSupported', 'error', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', NotResource: 'acs:oss:*:111:bkt/secret/*' }), policy(allow()), 'Statement[0].NotResource'],
    ['InvalidResource', 'error', 'identity', policy(allow({ Resource: 'bkt/*' })), policy(allow()), 'Statement[0].Resource'],
    ['InvalidConditionValue', 'error', 'identity', policy(allow({ Condition: { Bool: { 'acs:SecureTransport': true } } })), policy(allow({ Condition: { Bool: { 'acs:SecureTransport': 'true' } } })), 'Statement[0].Condition.Bool.acs:SecureTransport'],
    ['InvalidConditionValue', 'error', 'identity', policy(allow({ Condition: { NumericLessThan: { 'oss:max-keys': 100 } } })), policy(allow({ Condition: { NumericLessThan: { 'oss:max-keys': '100' } } })), 'Statement[0].Condition.NumericLessThan.oss:max-keys'],
    ['SourceIpWithoutSourceVpc', 'error', 'bucket', policy(bucketAllow({ Condition: { IpAddress: { 'acs:SourceIp': '203.0.113.0/24' } } })), policy(bucketAllow({ Condition: { IpAddress: { 'acs:SourceIp': '203.0.113.0/24' }, StringNotLike: { 'acs:SourceVpc': 'vpc-*' } } })), 'Statement[0].Condition'],
    ['ResourceNotAllowed', 'error', 'trust', policy(trustAllow({ Resource: '*' })), policy(trustAllow()), 'Statement[0].Resource'],
    // errors: lint's own
    ['MalformedArn', 'error', 'identity', policy(allow({ Resource: 'acs:oss:*:bkt/*' })), policy(allow({ Resource: 'acs:oss:*:111:bkt/*' })), 'Statement[0].Resource'],
    ['MalformedArn', 'error', 'identity', policy(allow({ Resource: ['acs:oss:*:111:bkt/*', 'acs:oss:*:{bucket_owner_id}:bkt/*'] })), policy(allow({ Resource: ['acs:oss:*:111:bkt/*', 'acs:oss:*:*:bkt/*'] })), 'Statement[0].Resource[1]'],
    ['OssRegionNotWildcard', 'error', 'identity', policy(allow({ Resource: 'acs:oss:cn-hangzhou:111:bkt/*' })), policy(allow({ Resource: 'acs:oss:*:111:bkt/*' })), 'Statement[0].Resource'],
    ['OssRegionNotWildcard', 'error', 'identity', policy(allow({ Resource: 'acs:oss::111:bkt/*' })), policy(allow({ Action: 'imm:GetTask', Resource: 'acs:imm:cn-hangzhou:111:project/p' })), 'Statement[0].Resource'],
    ['PolicyTooLarge', 'error', 'identity', identityOfSize(SIZE_LIMITS.identity + 1), identityOfSize(SIZE_LIMITS.identity), ''],
    ['PolicyTooLarge', 'error', 'trust', policy(trustAllow({ Sid: 'x'.repeat(6144) })), policy(trustAllow({ Sid: 'x'.repeat(6000) })), ''],
    ['PolicyTooLarge', 'error', 'bucket', bucketOfSize(SIZE_LIMITS.bucket), bucketOfSize(SIZE_LIMITS.bucket - 1), ''],
    ['StatementTooLarge', 'error', 'bucket', policy(bucketAllow({ Sid: 'x'.repeat(BUCKET_STATEMENT_LIMIT) })), policy(bucketAllow({ Sid: 'x'.repeat(3900) })), 'Statement[0]'],
    // warnings
    ['UnknownAction', 'warning', 'identity', policy(allow({ Action: 'oss:GetObjects' })), policy(allow({ Action: 'oss:GetObject' })), 'Statement[0].Action'],
    ['UnknownAction', 'warning', 'identity', policy(allow({ Action: ['oss:GetObject', 'imm:DetectImageScores'] })), policy(allow({ Action: ['oss:GetObject', 'ecs:DescribeInstances'] })), 'Statement[0].Action[1]'],
    ['UnknownAction', 'warning', 'identity', policy(allow({ Action: 'oss:Fetch*' })), policy(allow({ Action: 'oss:Get*' })), 'Statement[0].Action'],
    ['UnknownAction', 'warning', 'identity', policy(allow({ NotAction: 'sts:AssumeRoles', Action: undefined })), policy(allow({ NotAction: 'sts:AssumeRole', Action: undefined })), 'Statement[0].NotAction'],
    ['NonCanonicalAction', 'warning', 'identity', policy(allow({ Action: 'oss:getobject' })), policy(allow({ Action: 'oss:GetObject' })), 'Statement[0].Action'],
    ['NonCanonicalAction', 'warning', 'identity', policy(allow({ Action: 'OSS:GetObject' })), policy(allow({ Action: 'oss:GetObject' })), 'Statement[0].Action'],
    ['OverBroadAction', 'warning', 'identity', policy(allow({ Action: '*' })), policy(allow({ Effect: 'Deny', Action: '*' })), 'Statement[0].Action'],
    ['OverBroadAction', 'warning', 'identity', policy(allow({ Action: ['oss:GetObject', '*:*'] })), policy(allow({ Action: ['oss:GetObject', 'oss:PutObject'] })), 'Statement[0].Action[1]'],
    ['OverBroadResource', 'warning', 'identity', policy(allow({ Action: 'oss:*', Resource: '*' })), policy(allow({ Action: 'oss:*', Resource: 'acs:oss:*:111:bkt/*' })), 'Statement[0].Resource'],
    ['OverBroadResource', 'warning', 'identity', policy(allow({ Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] })), policy(allow({ Effect: 'Deny', Action: ['oss:*'], Resource: ['acs:oss:*:*:*'] })), 'Statement[0].Resource[0]'],
    ['OverBroadBucketPattern', 'warning', 'identity', policy(allow({ Resource: 'acs:oss:*:111:bkt*' })), policy(allow({ Resource: 'acs:oss:*:111:bkt/*' })), 'Statement[0].Resource'],
    ['OverBroadBucketPattern', 'warning', 'bucket', policy(bucketAllow({ Resource: 'acs:oss:*:111:test-bucket-*/incoming/*' })), policy(bucketAllow({ Resource: 'acs:oss:*:111:test-bucket-2024/incoming/*' })), 'Statement[0].Resource'],
    ['PublicPrincipal', 'warning', 'bucket', policy(bucketAllow({ Principal: ['*'] })), policy(bucketAllow({ Principal: ['*'], Condition: { StringEquals: { 'acs:SourceVpc': 'vpc-123' } } })), 'Statement[0].Principal'],
    ['PublicPrincipal', 'warning', 'bucket', policy(bucketAllow({ Principal: [] })), policy(bucketAllow({ Effect: 'Deny', Principal: [] })), 'Statement[0].Principal'],
    ['PublicPrincipal', 'warning', 'trust', policy(trustAllow({ Principal: '*' })), policy(trustAllow({ Principal: '*', Condition: { StringEquals: { 'sts:ExternalId': 'abcd1234' } } })), 'Statement[0].Principal'],
    ['PublicPrincipal', 'warning', 'trust', policy(trustAllow({ Principal: { RAM: ['*'] } })), policy(trustAllow({ Principal: { RAM: ['acs:ram::222:root'] } })), 'Statement[0].Principal'],
    ['BucketActionOnObjectArn', 'warning', 'identity', policy(allow({ Action: 'oss:ListObjects', Resource: 'acs:oss:*:111:bkt/*' })), policy(allow({ Action: 'oss:ListObjects', Resource: 'acs:oss:*:111:bkt' })), 'Statement[0].Action'],
    ['BucketActionOnObjectArn', 'warning', 'bucket', policy(bucketAllow({ Action: ['oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:111:bkt/*'] })), policy(bucketAllow({ Action: ['oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:111:bkt', 'acs:oss:*:111:bkt/*'] })), 'Statement[0].Action[1]'],
    ['ObjectActionOnBucketArn', 'warning', 'identity', policy(allow({ Resource: 'acs:oss:*:111:bkt' })), policy(allow({ Resource: 'acs:oss:*:111:bkt/*' })), 'Statement[0].Action'],
    ['ObjectActionOnBucketArn', 'warning', 'identity', policy(allow({ Action: ['oss:PutObject'], Resource: ['acs:oss:*:111:bkt'] })), policy(allow({ Action: ['oss:PutObject'], Resource: '*' })), 'Statement[0].Action[0]'],
    ['AllowWithNotAction', 'warning', 'identity', policy(allow({ Action: undefined, NotAction: 'ram:*' })), policy(allow({ Effect: 'Deny', Action: undefined, NotAction: 'ram:*' })), 'Statement[0].NotAction'],
    ['TrustPolicyAction', 'warning', 'trust', policy(trustAllow({ Action: 'oss:GetObject' })), policy(trustAllow({ Action: 'sts:*' })), 'Statement[0].Action'],
    ['OwnerAccountPrincipal', 'warning', 'bucket', policy(bucketAllow({ Principal: ['111'] })), policy(bucketAllow({ Principal: ['222'] })), 'Statement[0].Principal[0]'],
    ['DuplicateSid', 'warning', 'identity', policy(allow({ Sid: 'Read' }), allow({ Sid: 'Read', Action: 'oss:PutObject' })), policy(allow({ Sid: 'Read' }), allow({ Sid: 'Write', Action: 'oss:PutObject' })), 'Statement[1].Sid'],
    ['NoStatements', 'warning', 'identity', { Version: '1', Statement: [] }, policy(allow()), 'Statement'],
    ['PolicyTooLargeAsWritten', 'warning', 'identity', `${JSON.stringify(identityOfSize(5000))}${' '.repeat(2000)}`, JSON.stringify(identityOfSize(5000)), ''],
  ];

  it.each(rules)('%s (%s, %s policy): reported', (code, severity, kind, bad) => {
    // Prepare
    const doc = bad;

    // Act
    const findings = lintPolicy(doc, kind);

    // Assess
    expect(findings).toContainEqual(expect.objectContaining({ code, severity }));
  });

  it.each(rules)('%s (%s, %s policy): located', (code, _severity, kind, bad, _good, path) => {
    // Prepare
    const doc = bad;

    // Act
    const finding = lintPolicy(doc, kind).find((f) => f.code === code);

    // Assess
    expect(finding?.path).toBe(path);
    expect(finding?.message).toMatch(/^[^A-Z]/);
    expect(finding?.message).not.toMatch(/\.$/);
  });

  it.each(rules)('%s (%s, %s policy): not reported for the close variant', (code, _severity, kind, _bad, good) => {
    // Prepare
    const doc = good;

    // Act
    const findings = lintPolicy(doc, kind);

    // Assess
    expect(codes(findings)).not.toContain(code);
  });
});

describe('lintPolicy, as a whole', () => {
  it('finds nothing in a least-privilege policy', () => {
    // Prepare
    const doc = policy(
      { Sid: 'List', Effect: 'Allow', Action: 'oss:ListObjects', Resource: 'acs:oss:*:111:bkt', Condition: { StringLike: { 'oss:Prefix': 'incoming/*' } } },
      { Sid: 'Read', Effect: 'Allow', Action: ['oss:GetObject'], Resource: ['acs:oss:*:111:bkt/incoming/*'] },
      { Sid: 'NoDeletes', Effect: 'Deny', Action: 'oss:Delete*', Resource: '*' },
    );

    // Act
    const findings = lintPolicy(doc, 'identity');

    // Assess
    expect(findings).toEqual([]);
  });

  it('reports the findings of every statement, not only the first broken one', () => {
    // Prepare
    const doc = policy(
      allow({ Condition: { StringEqual: { 'acs:UserAgent': 'x' } } }),
      allow({ Resource: 'acs:oss:cn-hangzhou:111:bkt/*' }),
      allow({ Action: '*' }),
    );

    // Act
    const findings = lintPolicy(doc, 'identity');

    // Assess
    expect(findings.map((f) => [f.severity, f.code, f.path])).toEqual([
      ['error', 'UnsupportedOperator', 'Statement[0].Condition.StringEqual'],
      ['error', 'OssRegionNotWildcard', 'Statement[1].Resource'],
      ['warning', 'OverBroadAction', 'Statement[2].Action'],
    ]);
  });

  it('names a single statement object `Statement`, as parse does', () => {
    // Prepare
    const doc = { Version: '1', Statement: allow({ Action: 'oss:listobjects', Resource: 'acs:oss:*:111:bkt' }) };

    // Act
    const findings = lintPolicy(doc, 'identity');

    // Assess
    expect(findings.map((f) => [f.code, f.path])).toEqual([['NonCanonicalAction', 'Statement.Action']]);
  });

  it('reads a document given as text exactly as the object', () => {
    // Prepare
    const doc = policy(allow({ Action: '*' }), allow({ Resource: 'acs:oss:*:111:bkt' }));

    // Act
    const fromText = lintPolicy(JSON.stringify(doc, null, 2), 'identity');
    const fromObject = lintPolicy(doc, 'identity');

    // Assess
    expect(fromText).toEqual(fromObject);
  });

  it('counts a ram policy in characters and a bucket policy in utf-8 bytes', () => {
    // Prepare
    const wide = 'é'.repeat(4000);
    const identity = policy(allow({ Sid: wide }));
    const bucket = policy(bucketAllow({ Sid: wide.slice(0, 1500) }), bucketAllow({ Sid: wide.slice(0, 1500) }), bucketAllow({ Sid: wide.slice(0, 1500) }), bucketAllow({ Sid: wide.slice(0, 1500) }), bucketAllow({ Sid: wide.slice(0, 1500) }), bucketAllow({ Sid: wide.slice(0, 1500) }));

    // Act
    const identityCodes = codes(lintPolicy(identity, 'identity'));
    const bucketCodes = codes(lintPolicy(bucket, 'bucket'));

    // Assess
    expect(identityCodes).not.toContain('PolicyTooLarge');
    expect(bucketCodes).toContain('PolicyTooLarge');
  });

  it('stays quiet about services outside the catalogue', () => {
    // Prepare
    const doc = policy({ Effect: 'Allow', Action: ['ecs:*', 'kms:Decrypt'], Resource: '*', Condition: { StringEquals: { 'acs:ResourceTag/team': 'dev' } } });

    // Act
    const findings = lintPolicy(doc, 'identity');

    // Assess
    expect(findings).toEqual([]);
  });

  it('does not re-report as a malformed arn what parse already refuses', () => {
    // Prepare
    const doc = policy(allow({ Resource: 'arn:aws:s3:::bkt/*' }));

    // Act
    const findings = lintPolicy(doc, 'identity');

    // Assess
    expect(codes(findings)).toEqual(['InvalidResource']);
  });
});

describe('inferPolicyKind', () => {
  it.each([
    ['a Principal object with RAM', policy(trustAllow()), 'trust'],
    ['a Principal object with Service', policy(trustAllow({ Principal: { Service: 'fc.aliyuncs.com' } })), 'trust'],
    ['a Principal array', policy(bucketAllow()), 'bucket'],
    ['a Principal string', policy(allow({ Principal: '*' })), 'bucket'],
    ['no Principal', policy(allow()), 'identity'],
    ['a single statement object', { Version: '1', Statement: bucketAllow() }, 'bucket'],
    ['the first statement that has a Principal', policy(allow(), bucketAllow()), 'bucket'],
    ['unreadable json', '{"Statement": [', 'identity'],
    ['text', JSON.stringify(policy(trustAllow())), 'trust'],
  ])('%s → %s', (_name, doc, kind) => {
    // Prepare
    const input = doc;

    // Act
    const inferred = inferPolicyKind(input);

    // Assess
    expect(inferred).toBe(kind);
  });
});

describe('catalogue', () => {
  it('lists every action once, with a service prefix', () => {
    // Prepare
    const actions = catalogueActions();

    // Act
    const lower = actions.map((a) => a.toLowerCase());

    // Assess
    expect(new Set(lower).size).toBe(lower.length);
    expect(actions.filter((a) => !/^(oss|imm|sts|ram|fc):[A-Z][A-Za-z]+$/.test(a))).toEqual([]);
  });

  it.each([
    ['oss:getobject', 'oss:GetObject', 'object'],
    ['OSS:ListObjects', 'oss:ListObjects', 'bucket'],
    ['oss:ListBuckets', 'oss:ListBuckets', 'service'],
    ['imm:DetectImageScore', 'imm:DetectImageScore', undefined],
    ['ram:passrole', 'ram:PassRole', undefined],
  ])('%s is %s at level %s', (action, canonical, level) => {
    // Prepare
    const input = action;

    // Act
    const found = [canonicalAction(input), ossResourceLevel(input)];

    // Assess
    expect(found).toEqual([canonical, level]);
  });

  it('knows every imm operation imm-bridge calls', () => {
    // Prepare
    const operations = ['DetectImageScore', 'CreateMediaConvertTask', 'CreateOfficeConversionTask', 'GenerateWebofficeToken', 'RefreshWebofficeToken', 'GetTask'];

    // Act
    const missing = operations.filter((op) => !canonicalAction(`imm:${op}`));

    // Assess
    expect(missing).toEqual([]);
  });
});
