import { parsePolicy } from '../../shared/policy';
import type { PolicyKind } from '../../shared/policy';

const allow = { Effect: 'Allow', Action: 'oss:GetObject', Resource: '*' };
const policy = (...statements: unknown[]) => ({ Version: '1', Statement: statements });
const trustAllow = { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { RAM: ['acs:ram::111:root'] } };

describe('parsePolicy', () => {
  it.each<[string, unknown, PolicyKind]>([
    ['an identity policy object', policy(allow), 'identity'],
    ['the same policy as json text', JSON.stringify(policy(allow)), 'identity'],
    ['a single statement object', { Version: '1', Statement: allow }, 'identity'],
    ['NotAction and arrays', policy({ Sid: 's', Effect: 'Deny', NotAction: ['oss:Get*'], Resource: ['acs:oss:*:*:bkt/*'] }), 'identity'],
    ['every operator family', policy({ ...allow, Condition: {
      StringEquals: { 'oss:Prefix': ['', 'a'] }, StringNotLike: { 'acs:SourceVpc': 'vpc-*' },
      NumericLessThanEquals: { 'oss:max-keys': '1e3' }, DateGreaterThan: { 'acs:CurrentTime': '2019-08-12T17:00+0800' },
      Bool: { 'acs:SecureTransport': 'false' }, NotIpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '2001:db8::/32', '::1'] },
    } }), 'identity'],
    ['a bucket policy with an empty Principal', policy({ ...allow, Principal: [] }), 'bucket'],
    ['a bucket policy with a single-string Principal', policy({ ...allow, Principal: 'arn:sts::*:*/*/*' }), 'bucket'],
    ['a bucket policy with acs:SourceIp and acs:SourceVpc', policy({ ...allow, Principal: ['*'], Condition: {
      IpAddress: { 'acs:SourceIp': '192.0.2.0/24' }, StringNotLike: { 'acs:SourceVpc': 'vpc-*' } } }), 'bucket'],
    ['a trust policy', policy(trustAllow), 'trust'],
    ['a trust policy with string principals', policy({ ...trustAllow, Principal: { RAM: 'acs:ram::111:role/fn', Service: 'imm.aliyuncs.com' } }), 'trust'],
    ['a trust policy with Principal "*"', policy({ ...trustAllow, Principal: '*' }), 'trust'],
    ['a trust policy with Federated', policy({ ...trustAllow, Principal: { Federated: 'acs:ram::111:saml-provider/idp' } }), 'trust'],
  ])('accepts %s', (_name, doc, kind) => {
    // Prepare
    // Act
    const result = parsePolicy(doc, kind);

    // Assess
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('expands an empty bucket Principal to ["*"] and keeps statement indexes and sids', () => {
    // Prepare
    const doc = policy({ Sid: 'Public', ...allow, Principal: [] }, { ...allow, Principal: ['111'] });

    // Act
    const result = parsePolicy(doc, 'bucket');

    // Assess
    expect(result.ok && result.policy.statements.map((s) => [s.index, s.sid, s.bucketPrincipals])).toEqual([
      [0, 'Public', ['*']],
      [1, undefined, ['111']],
    ]);
  });

  it.each<[string, unknown, PolicyKind, string, string]>([
    ['text that is not json', '{"Version": "1",', 'identity', 'InvalidJson', ''],
    ['a json array', [], 'identity', 'InvalidType', ''],
    ['a missing Version', { Statement: [allow] }, 'identity', 'MissingVersion', 'Version'],
    ['Version 1 as a number', { Version: 1, Statement: [allow] }, 'identity', 'InvalidVersion', 'Version'],
    ['an unknown top-level element', { ...policy(allow), Id: 'x' }, 'identity', 'UnknownElement', 'Id'],
    ['a lower-case element name', { version: '1', Version: '1', Statement: [allow] }, 'identity', 'UnknownElement', 'version'],
    ['a missing Statement', { Version: '1' }, 'identity', 'MissingStatement', 'Statement'],
    ['a string Statement', { Version: '1', Statement: 'x' }, 'identity', 'InvalidType', 'Statement'],
    ['a statement that is not an object', policy(allow, 3), 'identity', 'InvalidType', 'Statement[1]'],
    ['an unknown statement element', policy(allow, { ...allow, Resources: '*' }), 'identity', 'UnknownElement', 'Statement[1].Resources'],
    ['a lower-case effect element', policy({ effect: 'Allow', Action: 'oss:*', Resource: '*' }), 'identity', 'UnknownElement', 'Statement[0].effect'],
    ['a missing Effect', policy({ Action: 'oss:*', Resource: '*' }), 'identity', 'MissingEffect', 'Statement[0].Effect'],
    ['Effect `allow`', policy({ ...allow, Effect: 'allow' }), 'identity', 'InvalidEffect', 'Statement[0].Effect'],
    ['a numeric Sid', policy({ ...allow, Sid: 1 }), 'identity', 'InvalidType', 'Statement[0].Sid'],
    ['both Action and NotAction', policy({ ...allow, NotAction: 'oss:PutObject' }), 'identity', 'ActionAndNotAction', 'Statement[0]'],
    ['neither Action nor NotAction', policy({ Effect: 'Allow', Resource: '*' }), 'identity', 'MissingAction', 'Statement[0]'],
    ['an empty Action array', policy({ ...allow, Action: [] }), 'identity', 'EmptyValue', 'Statement[0].Action'],
    ['a number in Action', policy({ ...allow, Action: ['oss:GetObject', 7] }), 'identity', 'InvalidType', 'Statement[0].Action[1]'],
    ['an action without a service', policy({ ...allow, Action: ['oss:GetObject', 'GetObject'] }), 'identity', 'InvalidAction', 'Statement[0].Action[1]'],
    ['a missing Resource', policy({ Effect: 'Allow', Action: 'oss:*' }), 'identity', 'MissingResource', 'Statement[0].Resource'],
    ['an aws arn', policy({ ...allow, Resource: 'arn:aws:s3:::bkt/*' }), 'identity', 'InvalidResource', 'Statement[0].Resource'],
    ['NotResource', policy({ Effect: 'Allow', Action: 'oss:*', NotResource: 'acs:oss:*:*:secret/*' }), 'identity', 'NotResourceNotSupported', 'Statement[0].NotResource'],
    ['a Principal in an identity policy', policy({ ...allow, Principal: ['*'] }), 'identity', 'PrincipalNotAllowed', 'Statement[0].Principal'],
    ['a bucket statement without Principal', policy(allow), 'bucket', 'MissingPrincipal', 'Statement[0].Principal'],
    ['a bucket Principal object', policy({ ...allow, Principal: { RAM: ['111'] } }), 'bucket', 'InvalidPrincipal', 'Statement[0].Principal'],
    ['a bucket Principal that is no uid or arn', policy({ ...allow, Principal: ['*', 'alice'] }), 'bucket', 'InvalidPrincipal', 'Statement[0].Principal[1]'],
    ['a bucket policy without Resource', policy({ Effect: 'Allow', Action: 'oss:*', Principal: ['*'] }), 'bucket', 'MissingResource', 'Statement[0].Resource'],
    ['acs:SourceIp without acs:SourceVpc in a bucket policy', policy({ ...allow, Principal: ['*'], Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } } }), 'bucket', 'SourceIpWithoutSourceVpc', 'Statement[0].Condition'],
    ['a Resource in a trust policy', policy({ ...trustAllow, Resource: '*' }), 'trust', 'ResourceNotAllowed', 'Statement[0].Resource'],
    ['a trust statement without Principal', policy({ Effect: 'Allow', Action: 'sts:AssumeRole' }), 'trust', 'MissingPrincipal', 'Statement[0].Principal'],
    ['a trust Principal list', policy({ ...trustAllow, Principal: ['acs:ram::111:root'] }), 'trust', 'InvalidPrincipal', 'Statement[0].Principal'],
    ['an upper-case trust principal type', policy({ ...trustAllow, Principal: { SERVICE: 'imm.aliyuncs.com' } }), 'trust', 'UnknownElement', 'Statement[0].Principal.SERVICE'],
    ['a bare uid as RAM principal', policy({ ...trustAllow, Principal: { RAM: ['111'] } }), 'trust', 'InvalidPrincipal', 'Statement[0].Principal.RAM[0]'],
    ['an arn as Service principal', policy({ ...trustAllow, Principal: { Service: 'acs:ram::111:root' } }), 'trust', 'InvalidPrincipal', 'Statement[0].Principal.Service'],
    ['an empty Condition', policy({ ...allow, Condition: {} }), 'identity', 'InvalidCondition', 'Statement[0].Condition'],
    ['a Condition list', policy({ ...allow, Condition: [] }), 'identity', 'InvalidCondition', 'Statement[0].Condition'],
    ['a typo operator', policy(allow, { ...allow, Condition: { StringEqual: { 'acs:UserAgent': 'x' } } }), 'identity', 'UnsupportedOperator', 'Statement[1].Condition.StringEqual'],
    ['ForAllValues:', policy({ ...allow, Condition: { 'ForAllValues:StringLike': { 'acs:TagKeys': 'x' } } }), 'identity', 'UnsupportedOperator', 'Statement[0].Condition.ForAllValues:StringLike'],
    ['IpAddressIfExists', policy({ ...allow, Condition: { IpAddressIfExists: { 'acs:SourceIp': '10.0.0.1' } } }), 'identity', 'UnsupportedOperator', 'Statement[0].Condition.IpAddressIfExists'],
    ['Null', policy({ ...allow, Condition: { Null: { 'acs:SourceVpc': 'true' } } }), 'identity', 'UnsupportedOperator', 'Statement[0].Condition.Null'],
    ['an empty operator block', policy({ ...allow, Condition: { StringEquals: {} } }), 'identity', 'InvalidCondition', 'Statement[0].Condition.StringEquals'],
    ['a key without service prefix', policy({ ...allow, Condition: { StringNotEquals: { SourceVpc: 'vpc-1' } } }), 'identity', 'InvalidConditionKey', 'Statement[0].Condition.StringNotEquals.SourceVpc'],
    ['a boolean value', policy({ ...allow, Condition: { Bool: { 'acs:SecureTransport': true } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.Bool.acs:SecureTransport'],
    ['a number inside a value list', policy({ ...allow, Condition: { NumericEquals: { 'oss:max-keys': ['1', 2] } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.NumericEquals.oss:max-keys[1]'],
    ['an empty value list', policy({ ...allow, Condition: { StringEquals: { 'oss:Prefix': [] } } }), 'identity', 'EmptyValue', 'Statement[0].Condition.StringEquals.oss:Prefix'],
    ['a non-numeric Numeric value', policy({ ...allow, Condition: { NumericLessThan: { 'oss:max-keys': 'ten' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.NumericLessThan.oss:max-keys'],
    ['a date without zone', policy({ ...allow, Condition: { DateLessThan: { 'acs:CurrentTime': '2019-08-12T17:00:00' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.DateLessThan.acs:CurrentTime'],
    ['an impossible date', policy({ ...allow, Condition: { DateLessThan: { 'acs:CurrentTime': '2019-02-30T17:00:00Z' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.DateLessThan.acs:CurrentTime'],
    ['Bool `True`', policy({ ...allow, Condition: { Bool: { 'acs:SecureTransport': 'True' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.Bool.acs:SecureTransport'],
    ['an ip with a bad prefix', policy({ ...allow, Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '10.0.0.0/33'] } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.IpAddress.acs:SourceIp[1]'],
    ['an ip wildcard', policy({ ...allow, Condition: { IpAddress: { 'acs:SourceIp': '192.168.*' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.IpAddress.acs:SourceIp'],
    ['an octal-looking ip', policy({ ...allow, Condition: { IpAddress: { 'acs:SourceIp': '010.0.0.1' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.IpAddress.acs:SourceIp'],
    ['a malformed ipv6', policy({ ...allow, Condition: { IpAddress: { 'acs:SourceIp': '2001:db8::1::2' } } }), 'identity', 'InvalidConditionValue', 'Statement[0].Condition.IpAddress.acs:SourceIp'],
  ])('rejects %s', (_name, doc, kind, code, path) => {
    // Prepare
    // Act
    const result = parsePolicy(doc, kind);

    // Assess
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ code, path }));
  });

  it('reports every problem, not just the first', () => {
    // Prepare
    const doc = { Version: '2', Statement: [{ Effect: 'allow', Action: 'oss:*', Resource: '*', Condition: { StringEqual: { 'a:b': 'c' } } }, { Effect: 'Deny' }] };

    // Act
    const result = parsePolicy(doc, 'identity');

    // Assess
    expect(result.problems.map((p) => p.code)).toEqual(['InvalidVersion', 'InvalidEffect', 'UnsupportedOperator', 'MissingAction', 'MissingResource']);
  });

  it('writes messages in lower case, without a final period, with user input in backticks', () => {
    // Prepare
    const doc = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'GetObject', Resource: '*', Condition: { StringEqual: { 'a:b': 'c' } } }] };

    // Act
    const result = parsePolicy(doc, 'identity');

    // Assess
    expect(result.problems.map((p) => p.message)).toEqual([
      'action `GetObject` must be `*` or `<service>:<action>`, such as `oss:GetObject`',
      'operator `StringEqual` is not supported: did you mean `StringEquals`?',
    ]);
  });
});
