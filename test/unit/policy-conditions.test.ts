import { evaluatePolicy, parsePolicy } from '../../shared/policy';
import type { ConditionContext, Decision, ParsedPolicy } from '../../shared/policy';

function allowWhen(condition: unknown): ParsedPolicy {
  const result = parsePolicy({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Condition: condition }] }, 'identity');
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

function decide(condition: unknown, context: ConditionContext): Decision {
  const request = { principal: 'acs:ram::111:user/alice', action: 'oss:GetObject', resource: 'acs:oss:*:111:bkt/a', context };
  return evaluatePolicy(allowWhen(condition), request, 'identity[0]').decision;
}

const ip = (operator: string, values: string | string[]) => ({ [operator]: { 'acs:SourceIp': values } });

describe('condition operators', () => {
  it.each<[string, unknown, ConditionContext, Decision]>([
    // strings
    ['StringEquals is exact', { StringEquals: { 'acs:UserAgent': 'a*' } }, { 'acs:UserAgent': 'a*' }, 'Allow'],
    ['StringEquals treats `*` literally', { StringEquals: { 'acs:UserAgent': 'a*' } }, { 'acs:UserAgent': 'ab' }, 'ImplicitDeny'],
    ['StringNotEquals on another value', { StringNotEquals: { 'oss:x-oss-acl': 'private' } }, { 'oss:x-oss-acl': 'public-read' }, 'Allow'],
    ['StringNotEquals on the value', { StringNotEquals: { 'oss:x-oss-acl': 'private' } }, { 'oss:x-oss-acl': 'private' }, 'ImplicitDeny'],
    ['StringNotEqualsIgnoreCase ignores case', { StringNotEqualsIgnoreCase: { 'oss:x-oss-acl': 'PRIVATE' } }, { 'oss:x-oss-acl': 'private' }, 'ImplicitDeny'],
    ['StringLike with `?`', { StringLike: { 'oss:Prefix': 'logs/?' } }, { 'oss:Prefix': 'logs/a' }, 'Allow'],
    ['StringLike is case-sensitive', { StringLike: { 'oss:Prefix': 'Logs/*' } }, { 'oss:Prefix': 'logs/a' }, 'ImplicitDeny'],
    ['StringNotLike on a match', { StringNotLike: { 'acs:SourceVpc': 'vpc-*' } }, { 'acs:SourceVpc': 'vpc-1' }, 'ImplicitDeny'],
    // numbers
    ['NumericLessThan true', { NumericLessThan: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '9.5' }, 'Allow'],
    ['NumericLessThan at the bound', { NumericLessThan: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '10' }, 'ImplicitDeny'],
    ['NumericLessThanEquals at the bound', { NumericLessThanEquals: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '10' }, 'Allow'],
    ['NumericGreaterThan', { NumericGreaterThan: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '1e2' }, 'Allow'],
    ['NumericGreaterThanEquals', { NumericGreaterThanEquals: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '9' }, 'ImplicitDeny'],
    ['NumericEquals compares values, not text', { NumericEquals: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '10.0' }, 'Allow'],
    ['NumericNotEquals', { NumericNotEquals: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '11' }, 'Allow'],
    ['NumericLessThan on a non-number', { NumericLessThan: { 'oss:max-keys': '10' } }, { 'oss:max-keys': 'abc' }, 'ImplicitDeny'],
    ['NumericNotEquals on a non-number', { NumericNotEquals: { 'oss:max-keys': '10' } }, { 'oss:max-keys': '0x0B' }, 'ImplicitDeny'],
    ['Numeric on an empty string', { NumericGreaterThan: { 'oss:max-keys': '-1' } }, { 'oss:max-keys': '' }, 'ImplicitDeny'],
    // dates
    ['DateEquals across offsets', { DateEquals: { 'acs:CurrentTime': '2019-08-12T17:00:00+08:00' } }, { 'acs:CurrentTime': '2019-08-12T09:00:00.000Z' }, 'Allow'],
    ['DateNotEquals', { DateNotEquals: { 'acs:CurrentTime': '2019-08-12T17:00:00+08:00' } }, { 'acs:CurrentTime': '2019-08-12T09:00:00Z' }, 'ImplicitDeny'],
    ['DateGreaterThanEquals with a negative offset', { DateGreaterThanEquals: { 'acs:CurrentTime': '2019-08-12T00:00:00-05:00' } }, { 'acs:CurrentTime': '2019-08-12T05:00:00Z' }, 'Allow'],
    ['DateLessThanEquals', { DateLessThanEquals: { 'acs:CurrentTime': '2019-08-12T00:00:00Z' } }, { 'acs:CurrentTime': '2019-08-12T00:00:00.001Z' }, 'ImplicitDeny'],
    ['DateGreaterThan', { DateGreaterThan: { 'acs:CurrentTime': '2019-08-12T00:00:00Z' } }, { 'acs:CurrentTime': '2020-01-01T00:00Z' }, 'Allow'],
    ['Date on a value without zone', { DateLessThan: { 'acs:CurrentTime': '2030-01-01T00:00:00Z' } }, { 'acs:CurrentTime': '2019-08-12T00:00:00' }, 'ImplicitDeny'],
    // booleans
    ['Bool true', { Bool: { 'acs:SecureTransport': 'true' } }, { 'acs:SecureTransport': 'true' }, 'Allow'],
    ['Bool compares the request value case-insensitively', { Bool: { 'acs:SecureTransport': 'true' } }, { 'acs:SecureTransport': 'TRUE' }, 'Allow'],
    ['Bool false vs true', { Bool: { 'acs:MFAPresent': 'false' } }, { 'acs:MFAPresent': 'true' }, 'ImplicitDeny'],
    ['Bool on `yes`', { Bool: { 'acs:MFAPresent': 'true' } }, { 'acs:MFAPresent': 'yes' }, 'ImplicitDeny'],
    // ip addresses
    ['IpAddress single address', ip('IpAddress', '203.0.113.2'), { 'acs:SourceIp': '203.0.113.2' }, 'Allow'],
    ['IpAddress cidr inside', ip('IpAddress', '10.1.0.0/15'), { 'acs:SourceIp': '10.0.255.255' }, 'Allow'],
    ['IpAddress cidr outside', ip('IpAddress', '10.1.0.0/16'), { 'acs:SourceIp': '10.0.255.255' }, 'ImplicitDeny'],
    ['IpAddress /0 covers every ipv4', ip('IpAddress', '0.0.0.0/0'), { 'acs:SourceIp': '8.8.8.8' }, 'Allow'],
    ['IpAddress ipv4-mapped ipv6 request', ip('IpAddress', '127.0.0.0/8'), { 'acs:SourceIp': '::ffff:127.0.0.1' }, 'Allow'],
    ['IpAddress ipv6 cidr', ip('IpAddress', '2001:db8::/32'), { 'acs:SourceIp': '2001:db8:ffff::1' }, 'Allow'],
    ['IpAddress ipv6 outside', ip('IpAddress', '2001:db8::/32'), { 'acs:SourceIp': '2001:db9::1' }, 'ImplicitDeny'],
    ['IpAddress ipv6 with an odd prefix', ip('IpAddress', '2001:db8:8000::/33'), { 'acs:SourceIp': '2001:db8:7fff::1' }, 'ImplicitDeny'],
    ['IpAddress ipv6 full form', ip('IpAddress', '::1'), { 'acs:SourceIp': '0:0:0:0:0:0:0:1' }, 'Allow'],
    ['IpAddress ipv4 never matches an ipv6 block', ip('IpAddress', '::/0'), { 'acs:SourceIp': '1.2.3.4' }, 'ImplicitDeny'],
    ['NotIpAddress outside', ip('NotIpAddress', '192.168.0.0/16'), { 'acs:SourceIp': '8.8.8.8' }, 'Allow'],
    ['NotIpAddress inside', ip('NotIpAddress', '192.168.0.0/16'), { 'acs:SourceIp': '192.168.3.4' }, 'ImplicitDeny'],
    ['IpAddress on a hostname', ip('IpAddress', '0.0.0.0/0'), { 'acs:SourceIp': 'localhost' }, 'ImplicitDeny'],
  ])('%s', (_name, condition, context, expected) => {
    // Prepare
    // Act
    const decision = decide(condition, context);

    // Assess
    expect(decision).toBe(expected);
  });
});

describe('condition combination and missing keys', () => {
  it.each<[string, unknown, ConditionContext, Decision]>([
    ['positive operator, missing key → false', { StringEquals: { 'acs:SourceVpc': 'vpc-1' } }, {}, 'ImplicitDeny'],
    ['positive operator, empty list → missing', { StringLike: { 'acs:SourceVpc': '*' } }, { 'acs:SourceVpc': [] }, 'ImplicitDeny'],
    ['StringNotEquals, missing key → true', { StringNotEquals: { 'acs:SourceVpc': 'vpc-1' } }, {}, 'Allow'],
    ['StringNotEqualsIgnoreCase, missing key → true', { StringNotEqualsIgnoreCase: { 'acs:SourceVpc': 'vpc-1' } }, {}, 'Allow'],
    ['StringNotLike, missing key → true', { StringNotLike: { 'acs:SourceVpc': 'vpc-*' } }, {}, 'Allow'],
    ['NumericNotEquals, missing key → true', { NumericNotEquals: { 'oss:max-keys': '1' } }, {}, 'Allow'],
    ['DateNotEquals, missing key → true', { DateNotEquals: { 'acs:CurrentTime': '2019-08-12T00:00:00Z' } }, {}, 'Allow'],
    ['NotIpAddress, missing key → true', { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }, {}, 'Allow'],
    ['Bool, missing key → false', { Bool: { 'acs:SecureTransport': 'false' } }, {}, 'ImplicitDeny'],
    ['no context at all', { StringEquals: { 'acs:SourceVpc': 'vpc-1' } }, undefined as unknown as ConditionContext, 'ImplicitDeny'],
    ['keys are looked up exactly, then case-insensitively', { StringEquals: { 'acs:sourcevpc': 'vpc-1' } }, { 'acs:SourceVpc': 'vpc-1' }, 'Allow'],
    ['a list context value: any value matching suffices', { StringEquals: { 'oss:RequestObjectTag/k': 'b' } }, { 'oss:RequestObjectTag/k': ['a', 'b'] }, 'Allow'],
    ['a list context value: negated is false if any value matches', { StringNotEquals: { 'oss:RequestObjectTag/k': 'b' } }, { 'oss:RequestObjectTag/k': ['a', 'b'] }, 'ImplicitDeny'],
    ['a list context value: negated is true if none matches', { StringNotEquals: { 'oss:RequestObjectTag/k': ['b', 'c'] } }, { 'oss:RequestObjectTag/k': ['a', 'd'] }, 'Allow'],
    ['a list with one unreadable number still matches on another', { NumericEquals: { 'oss:max-keys': '5' } }, { 'oss:max-keys': ['x', '5'] }, 'Allow'],
    ['keys are ANDed', { StringEquals: { 'acs:SourceVpc': 'vpc-1', 'acs:AccessId': 'AK1' } }, { 'acs:SourceVpc': 'vpc-1', 'acs:AccessId': 'AK2' }, 'ImplicitDeny'],
    ['operators are ANDed', { StringEquals: { 'acs:SourceVpc': 'vpc-1' }, Bool: { 'acs:SecureTransport': 'true' } }, { 'acs:SourceVpc': 'vpc-1', 'acs:SecureTransport': 'false' }, 'ImplicitDeny'],
    ['operators are ANDed, all true', { StringEquals: { 'acs:SourceVpc': 'vpc-1' }, Bool: { 'acs:SecureTransport': 'true' } }, { 'acs:SourceVpc': 'vpc-1', 'acs:SecureTransport': 'true' }, 'Allow'],
  ])('%s', (_name, condition, context, expected) => {
    // Prepare
    // Act
    const decision = decide(condition, context);

    // Assess
    expect(decision).toBe(expected);
  });

  it('lets an unreadable value make a Deny apply, never an error-allow', () => {
    // Prepare
    const parsed = parsePolicy({ Version: '1', Statement: [
      { Effect: 'Allow', Action: 'oss:*', Resource: '*' },
      { Effect: 'Deny', Action: 'oss:*', Resource: '*', Condition: { NumericNotEquals: { 'oss:max-keys': '10' } } },
    ] }, 'identity');
    if (!parsed.ok) throw new Error('fixture does not parse');
    const request = { principal: 'acs:ram::111:user/a', action: 'oss:ListObjects', resource: 'acs:oss:*:111:bkt', context: { 'oss:max-keys': 'NaN' } };

    // Act
    const evaluation = evaluatePolicy(parsed.policy, request, 'identity[0]');

    // Assess
    expect(evaluation).toEqual({ decision: 'ExplicitDeny', reasons: [{ policy: 'identity[0]', statement: 1, effect: 'Deny' }] });
  });

  it('fails closed on a hand-built policy with an operator the parser would refuse', () => {
    // Prepare
    const policy: ParsedPolicy = { kind: 'identity', source: null, statements: [
      { index: 0, effect: 'Allow', actions: ['oss:*'], resources: ['*'], conditions: [] },
      { index: 1, effect: 'Deny', actions: ['oss:*'], resources: ['*'], conditions: [{ operator: 'StringEqualsIfExists', key: 'acs:SourceVpc', values: ['vpc-1'] }] },
    ] };
    const request = { principal: 'acs:ram::111:user/a', action: 'oss:GetObject', resource: 'acs:oss:*:111:bkt/a', context: { 'acs:SourceVpc': 'vpc-1' } };

    // Act
    const evaluation = evaluatePolicy(policy, request, 'identity[0]');

    // Assess
    expect(evaluation.decision).toBe('ExplicitDeny');
  });
});
