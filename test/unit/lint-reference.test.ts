// Acceptance: the policy examples of the reference (shared/reference/ram-policy.md, imm-sts.md) lint clean, or with
// exactly the findings listed here. Where the reference describes a policy in prose (the §7 table, the OSS scenarios),
// the JSON is reconstructed from that description; where it masks an account id, the mask is kept when our parser
// accepts it (trust policies) and replaced by digits otherwise (said so in the row).
import { lintPolicy, type PolicyKind } from '../../shared/policy';

type Expected = [severity: 'error' | 'warning', code: string, path: string];

const A = '1111111111111111';
const B = '2222222222222222';
const policy = (...statements: Record<string, unknown>[]) => ({ Version: '1', Statement: statements });

const examples: [name: string, kind: PolicyKind, doc: unknown, expected: Expected[]][] = [
  // ---- trust policies (ram-policy.md §4, imm-sts.md §4)
  ['§4 trust policy trusting an account (masked uid `123456789012****`)', 'trust', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::123456789012****:root'] } }), []],
  ['§4 trust policy trusting one user', 'trust', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::123456789012****:user/testuser'] } }), []],
  ['§4 trust policy trusting a service', 'trust', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['ecs.aliyuncs.com'] } }), []],
  ['imm-sts §4 trust policy with ExternalId', 'trust', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::123456789012****:root'] }, Condition: { StringEquals: { 'sts:ExternalId': 'abcd1234' } } }), []],
  ['§5 custom imm service role trusting imm (terraform example)', 'trust', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }), []],
  ['§7 R3 trust naming a role as a string', 'trust', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: `acs:ram::${A}:role/fnrole` } }), []],

  // ---- the four imm/oss grants (ram-policy.md §5 scenario 11, imm-sts.md §3)
  ['§5 grant 1: the oss actions imm features need (resource reconstructed)', 'identity', policy({ Effect: 'Allow', Action: ['oss:GetObject', 'oss:PutObject', 'oss:PostProcessTask', 'oss:ProcessImm'], Resource: 'acs:oss:*:*:examplebucket/*' }), []],
  ['§5 grant 2: the imm actions of scenario 11', 'identity', policy({ Effect: 'Allow', Action: ['imm:CreateOfficeConversionTask', 'imm:GetWebofficeURL'], Resource: '*' }), []],
  ['§5 grant 3: ram:PassRole on imm\'s role, lower-cased as the oss doc writes it', 'identity', policy({ Effect: 'Allow', Action: 'ram:PassRole', Resource: 'acs:ram:*:*:role/aliyunimmdefaultrole' }), []],
  // The CredentialConfig example grants `oss:*` on `*`: fine as an example, too broad for a real service role.
  ['imm-sts §3 grant 4: the CredentialConfig policy example', 'identity', { Statement: [{ Action: 'oss:*', Effect: 'Allow', Resource: '*' }], Version: '1' }, [['warning', 'OverBroadResource', 'Statement[0].Resource']]],
  ['system policy AliyunSTSAssumeRoleAccess', 'identity', policy({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }), []],

  // ---- cross-account bucket policies (DESIGN §1, imm-sts.md §3 D-XACCT, ram-policy.md §3.3)
  ['D-XACCT: the data account lets the media account\'s imm role read and write the bucket (json reconstructed)', 'bucket', policy({ Effect: 'Allow', Principal: [`arn:sts::${A}:assumed-role/AliyunIMMDefaultRole/*`], Action: ['oss:GetObject', 'oss:PutObject'], Resource: [`acs:oss:*:${B}:test-bucket-2024/*`] }), []],
  ['DESIGN §1: imm reads inputs and writes outputs only', 'bucket', policy(
    { Sid: 'ImmReadsInputs', Effect: 'Allow', Principal: [`arn:sts::${B}:assumed-role/AliyunIMMDefaultRole/*`], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${A}:test-bucket-2024/incoming/*`] },
    { Sid: 'ImmWritesOutputs', Effect: 'Allow', Principal: [`arn:sts::${B}:assumed-role/AliyunIMMDefaultRole/*`], Action: ['oss:PutObject'], Resource: [`acs:oss:*:${A}:test-bucket-2024/converted/*`] },
  ), []],
  ['§3.3 2021 tutorial: a bucket policy granting a ram user of another account', 'bucket', policy({ Effect: 'Allow', Principal: ['200000000022201'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${A}:bkt/*`] }), []],
  ['§3.4 2021 example with the uid masked as `27737962156157xxxx`: not a uid as written', 'bucket', policy({ Effect: 'Allow', Principal: ['27737962156157xxxx'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${A}:bkt/*`] }), [['error', 'InvalidPrincipal', 'Statement[0].Principal[0]']]],
  ['§3.4 2021 example with digits for the masked uid', 'bucket', policy({ Effect: 'Allow', Principal: ['277379621561570000'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${A}:bkt/*`] }), []],
  ['§7 V18 a role-session principal', 'bucket', policy({ Effect: 'Allow', Principal: [`arn:sts::${A}:assumed-role/fnrole/*`], Action: 'oss:GetObject', Resource: `acs:oss:*:${A}:bkt/*` }), []],
  ['§7 V10 an unconditioned `*` Deny of deletes', 'bucket', policy({ Effect: 'Deny', Principal: ['*'], Action: 'oss:DeleteObject', Resource: `acs:oss:*:${A}:bkt/*` }), []],
  // As the table writes it, V11 lacks `acs:SourceVpc`: OSS refuses such a new policy (C15, error 0030-00000008).
  ['§7 V11 a conditioned `*` Deny, as the table writes it', 'bucket', policy({ Effect: 'Deny', Principal: ['*'], Action: 'oss:*', Resource: [`acs:oss:*:${A}:bkt`, `acs:oss:*:${A}:bkt/*`], Condition: { NotIpAddress: { 'acs:SourceIp': '192.168.0.0/16' } } }), [['error', 'SourceIpWithoutSourceVpc', 'Statement[0].Condition']]],
  ['§7 V11 with the `acs:SourceVpc` OSS requires', 'bucket', policy({ Effect: 'Deny', Principal: ['*'], Action: 'oss:*', Resource: [`acs:oss:*:${A}:bkt`, `acs:oss:*:${A}:bkt/*`], Condition: { NotIpAddress: { 'acs:SourceIp': '192.168.0.0/16' }, StringNotLike: { 'acs:SourceVpc': 'vpc-*' } } }), []],
  ['§7 V12 an empty Principal list, which means everyone', 'bucket', policy({ Effect: 'Allow', Principal: [], Action: 'oss:GetObject', Resource: `acs:oss:*:${A}:bkt/*` }), [['warning', 'PublicPrincipal', 'Statement[0].Principal']]],
  ['§7 V19 the owner account\'s uid as principal', 'bucket', policy({ Effect: 'Allow', Principal: [A], Action: 'oss:GetObject', Resource: `acs:oss:*:${A}:bkt/*` }), [['warning', 'OwnerAccountPrincipal', 'Statement[0].Principal[0]']]],
  ['§7 C15 acs:SourceIp without acs:SourceVpc', 'bucket', policy({ Effect: 'Allow', Principal: [`arn:sts::${B}:assumed-role/fn/*`], Action: 'oss:GetObject', Resource: `acs:oss:*:${A}:bkt/*`, Condition: { IpAddress: { 'acs:SourceIp': '203.0.113.0/24' } } }), [['error', 'SourceIpWithoutSourceVpc', 'Statement[0].Condition']]],

  // ---- the oss scenarios and conditions of §7 (identity policies)
  ['scenario 5 / C7: list the root and one folder', 'identity', policy({ Effect: 'Allow', Action: 'oss:ListObjects', Resource: 'acs:oss:*:*:bkt', Condition: { StringLike: { 'oss:Prefix': ['', 'hangzhou/', 'hangzhou/2014/*'], 'oss:Delimiter': '/' } } }), []],
  ['scenario 7 / C6: deny reads of objects with two tags', 'identity', policy({ Effect: 'Deny', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bkt/*', Condition: { StringEquals: { 'oss:ExistingObjectTag/status': 'ok', 'oss:ExistingObjectTag/key1': 'value1' } } }), []],
  ['scenario 8 / C3: public ips only, not from a vpc', 'identity', policy({ Effect: 'Allow', Action: 'oss:*', Resource: ['acs:oss:*:*:bkt', 'acs:oss:*:*:bkt/*'], Condition: { IpAddress: { 'acs:SourceIp': ['192.0.2.0/24', '203.0.113.2'] }, StringNotLike: { 'acs:SourceVpc': ['vpc-*'] } } }), []],
  ['scenario 9 / C2: list with a java sdk and one prefix', 'identity', policy({ Effect: 'Allow', Action: 'oss:ListObjects', Resource: 'acs:oss:*:*:bkt', Condition: { StringLike: { 'acs:UserAgent': '*java-sdk*', 'oss:Prefix': 'foo' } } }), []],
  ['scenario 10 / C11: deny a non-private bucket acl', 'identity', policy({ Effect: 'Deny', Action: 'oss:PutBucketAcl', Resource: 'acs:oss:*:*:bkt', Condition: { StringNotEquals: { 'oss:x-oss-acl': 'private' } } }), []],
  ['§7 C12: deny a non-private object acl on upload', 'identity', policy({ Effect: 'Deny', Action: 'oss:PutObject', Resource: 'acs:oss:*:*:bkt/*', Condition: { StringNotEquals: { 'oss:x-oss-object-acl': ['private', 'default'] } } }, { Effect: 'Allow', Action: 'oss:PutObject', Resource: 'acs:oss:*:*:bkt/*' }), []],
  ['§7 C1: ip values are ORed', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bkt/*', Condition: { IpAddress: { 'acs:SourceIp': ['192.0.2.0/24', '203.0.113.2'] } } }), []],
  ['§7 C5: a tag condition', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bkt/*', Condition: { StringEquals: { 'oss:ExistingObjectTag/status': 'ok' } } }), []],
  ['§7 C9: a time limit (a service outside the catalogue)', 'identity', policy({ Effect: 'Allow', Action: 'ecs:*', Resource: '*', Condition: { DateLessThan: { 'acs:CurrentTime': '2019-08-12T17:00:00+08:00' } } }), []],
  ['§7 C10: https only', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bkt/*', Condition: { Bool: { 'acs:SecureTransport': 'true' } } }), []],
  ['§2.3 a resource tag condition', 'identity', policy({ Effect: 'Allow', Action: 'ecs:*', Resource: '*', Condition: { StringEquals: { 'acs:ResourceTag/team': ['dev'] } } }), []],

  // ---- matching and syntax (§7 M rows): the mistakes the rows describe
  ['§7 M1 a lower-case action', 'identity', policy({ Effect: 'Allow', Action: 'oss:getobject', Resource: 'acs:oss:*:*:bkt/*' }), [['warning', 'NonCanonicalAction', 'Statement[0].Action']]],
  ['§7 M2 `oss:Get*` on every oss resource', 'identity', policy({ Effect: 'Allow', Action: 'oss:Get*', Resource: 'acs:oss:*:*:*' }), []],
  ['§7 M3 `oss:*Object`', 'identity', policy({ Effect: 'Allow', Action: 'oss:*Object', Resource: '*' }), []],
  ['§7 M4 `oss:?etObject`', 'identity', policy({ Effect: 'Allow', Action: 'oss:?etObject', Resource: '*' }), []],
  ['§7 M5 a bucket-level action on an object arn', 'identity', policy({ Effect: 'Allow', Action: 'oss:ListObjects', Resource: 'acs:oss:*:*:bkt/*' }), [['warning', 'BucketActionOnObjectArn', 'Statement[0].Action']]],
  ['§7 M6 an object action on the bucket arn', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bkt' }), [['warning', 'ObjectActionOnBucketArn', 'Statement[0].Action']]],
  ['§7 M8 a broad Allow with a narrow Deny', 'identity', policy({ Effect: 'Allow', Action: 'oss:*', Resource: '*' }, { Effect: 'Deny', Action: 'oss:DeleteObject', Resource: 'acs:oss:*:*:bkt/abc*.txt' }), [['warning', 'OverBroadResource', 'Statement[0].Resource']]],
  ['§7 M9 a bucket name pattern', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'acs:oss:*:*:bkt*' }), [['warning', 'OverBroadBucketPattern', 'Statement[0].Resource']]],
  ['§7 M10 an oss arn with a region', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:cn-hangzhou:${A}:bkt/*` }), [['error', 'OssRegionNotWildcard', 'Statement[0].Resource']]],
  ['§7 M13 Allow with NotAction', 'identity', policy({ Effect: 'Allow', NotAction: 'ram:*', Resource: '*' }), [['warning', 'AllowWithNotAction', 'Statement[0].NotAction']]],
  ['§7 M14 Deny with NotAction', 'identity', policy({ Effect: 'Allow', Action: 'oss:*', Resource: 'acs:oss:*:*:bkt/*' }, { Effect: 'Deny', NotAction: ['oss:GetObject'], Resource: '*' }), []],
  ['§7 M15 Allow with NotAction `*`', 'identity', policy({ Effect: 'Allow', NotAction: '*', Resource: '*' }), [['warning', 'AllowWithNotAction', 'Statement[0].NotAction']]],
  ['§7 M16 an aws version', 'identity', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' }] }, [['error', 'InvalidVersion', 'Version']]],
  ['§7 M17 Action and NotAction together', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', NotAction: 'oss:PutObject', Resource: '*' }), [['error', 'ActionAndNotAction', 'Statement[0]']]],
  ['§7 M18 an unquoted condition value', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: { Bool: { 'acs:SecureTransport': true } } }), [['error', 'InvalidConditionValue', 'Statement[0].Condition.Bool.acs:SecureTransport']]],
  ['§7 M19 an IfExists operator in a Deny', 'identity', policy({ Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { StringEqualsIfExists: { 'acs:SourceVpc': 'vpc-1' } } }), [['error', 'UnsupportedOperator', 'Statement[0].Condition.StringEqualsIfExists']]],
  ['§7 M20 a Principal in an identity policy', 'identity', policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Principal: ['*'] }), [['error', 'PrincipalNotAllowed', 'Statement[0].Principal']]],
];

describe('the reference examples lint as documented', () => {
  it.each(examples)('%s', (_name, kind, doc, expected) => {
    // Prepare
    const text = JSON.stringify(doc, null, 2);

    // Act
    const findings = lintPolicy(text, kind);

    // Assess
    expect(findings.map((f) => [f.severity, f.code, f.path])).toEqual(expected);
  });
});
