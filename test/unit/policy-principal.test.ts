import { evaluatePolicy, parsePolicy, parsePrincipal } from '../../shared/policy';
import type { Decision, ParsedPolicy, PolicyKind } from '../../shared/policy';

function parsed(doc: unknown, kind: PolicyKind): ParsedPolicy {
  const result = parsePolicy(doc, kind);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

describe('parsePrincipal', () => {
  it.each([
    ['acs:ram::111:root', { type: 'root', accountId: '111' }],
    ['acs:ram::111:user/alice', { type: 'user', accountId: '111', name: 'alice' }],
    ['arn:sts::111:assumed-role/fnrole/s1', { type: 'role-session', accountId: '111', roleName: 'fnrole', sessionName: 's1' }],
    ['acs:ram::111:role/fnrole/s1', { type: 'role-session', accountId: '111', roleName: 'fnrole', sessionName: 's1' }],
    ['imm.aliyuncs.com', { type: 'service', name: 'imm.aliyuncs.com' }],
    ['*', { type: 'anonymous' }],
    ['anonymous', { type: 'anonymous' }],
    ['acs:ram::111:role/fnrole', undefined],
    ['acs:ram::abc:root', undefined],
    ['alice', undefined],
    ['', undefined],
  ])('parsePrincipal(%j)', (input, expected) => {
    // Prepare
    // Act
    const result = parsePrincipal(input);

    // Assess
    expect(result).toEqual(expected);
  });
});

describe('bucket policy principals', () => {
  const bucket = (principal: unknown, condition?: unknown) =>
    parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: '*', Principal: principal, ...(condition ? { Condition: condition } : {}) }] }, 'bucket');

  it.each<[string, unknown, string, string | undefined, Decision]>([
    ['`*` covers anonymous callers', ['*'], 'anonymous', undefined, 'Allow'],
    ['`*` covers RAM users of other accounts', ['*'], 'acs:ram::222:user/bob', undefined, 'Allow'],
    ['an account uid covers its root', ['111'], 'acs:ram::111:root', undefined, 'Allow'],
    ['an account uid does not cover its RAM users (V19, UNVERIFIED)', ['111'], 'acs:ram::111:user/alice', '2001', 'ImplicitDeny'],
    ['a user uid covers that user', ['2001'], 'acs:ram::111:user/alice', '2001', 'Allow'],
    ['a user uid does not cover another user', ['2001'], 'acs:ram::111:user/bob', '2002', 'ImplicitDeny'],
    ['a user uid does not cover the root', ['2001'], 'acs:ram::111:root', undefined, 'ImplicitDeny'],
    ['a user arn', ['acs:ram::111:user/alice'], 'acs:ram::111:user/alice', undefined, 'Allow'],
    ['a user arn pattern', ['acs:ram::*:user/al*'], 'acs:ram::111:user/alice', undefined, 'Allow'],
    ['user names compare exactly', ['acs:ram::111:user/alice'], 'acs:ram::111:user/Alice', undefined, 'ImplicitDeny'],
    ['a session pattern with wildcards', ['arn:sts::*:*/*/*'], 'arn:sts::222:assumed-role/x/y', undefined, 'Allow'],
    ['a whole-remainder session pattern', ['arn:sts::222:*'], 'arn:sts::222:assumed-role/x/y', undefined, 'Allow'],
    ['a session pattern does not cover users', ['arn:sts::*:*'], 'acs:ram::222:user/bob', undefined, 'ImplicitDeny'],
    ['role names compare case-insensitively', ['arn:sts::222:assumed-role/FnRole/*'], 'arn:sts::222:assumed-role/fnrole/s1', undefined, 'Allow'],
    ['session names compare exactly', ['arn:sts::222:assumed-role/fnrole/S1'], 'arn:sts::222:assumed-role/fnrole/s1', undefined, 'ImplicitDeny'],
    ['the account of a session pattern must match', ['arn:sts::333:assumed-role/fnrole/*'], 'arn:sts::222:assumed-role/fnrole/s1', undefined, 'ImplicitDeny'],
    ['a service is covered only by `*`', ['arn:sts::*:*/*/*'], 'imm.aliyuncs.com', undefined, 'ImplicitDeny'],
  ])('%s', (_name, principal, caller, uid, expected) => {
    // Prepare
    const request = { principal: caller, principalUid: uid, action: 'oss:GetObject', resource: 'acs:oss:*:111:bkt/a' };

    // Act
    const { decision } = evaluatePolicy(bucket(principal), request, 'resource');

    // Assess
    expect(decision).toBe(expected);
  });
});

describe('trust policy principals', () => {
  const trust = (principal: unknown) => parsed({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: principal }] }, 'trust');

  it.each<[string, unknown, string, Decision]>([
    ['an account root entry covers its users', { RAM: 'acs:ram::111:root' }, 'acs:ram::111:user/alice', 'Allow'],
    ['an account root entry covers its role sessions', { RAM: 'acs:ram::111:root' }, 'arn:sts::111:assumed-role/fn/s', 'Allow'],
    ['an account root entry does not cover another account', { RAM: 'acs:ram::111:root' }, 'acs:ram::222:user/bob', 'ImplicitDeny'],
    ['a user entry covers that user', { RAM: ['acs:ram::111:user/alice'] }, 'acs:ram::111:user/alice', 'Allow'],
    ['a user entry does not cover another', { RAM: ['acs:ram::111:user/alice'] }, 'acs:ram::111:user/bob', 'ImplicitDeny'],
    ['a role entry covers its sessions, any case', { RAM: ['acs:ram::111:role/FnRole'] }, 'arn:sts::111:assumed-role/fnrole/s', 'Allow'],
    ['a role entry covers the acs spelling of a session', { RAM: ['acs:ram::111:role/fnrole'] }, 'acs:ram::111:role/fnrole/s', 'Allow'],
    ['a role entry does not cover users', { RAM: ['acs:ram::111:role/fnrole'] }, 'acs:ram::111:user/fnrole', 'ImplicitDeny'],
    ['a service entry', { Service: ['imm.aliyuncs.com'] }, 'IMM.aliyuncs.com', 'Allow'],
    ['a service entry does not cover RAM callers', { Service: ['imm.aliyuncs.com'] }, 'acs:ram::111:user/a', 'ImplicitDeny'],
    ['Federated never matches: no identity providers in the emulator', { Federated: 'acs:ram::111:saml-provider/idp' }, 'acs:ram::111:user/a', 'ImplicitDeny'],
    ['"*" covers RAM callers', '*', 'acs:ram::999:user/x', 'Allow'],
    ['"*" covers services', '*', 'fc.aliyuncs.com', 'Allow'],
    ['"*" does not cover anonymous callers', '*', 'anonymous', 'ImplicitDeny'],
  ])('%s', (_name, principal, caller, expected) => {
    // Prepare
    const policy = trust(principal);
    const request = { principal: caller, action: 'sts:AssumeRole', resource: 'acs:ram::111:role/target' };

    // Act
    const { decision } = evaluatePolicy(policy, request, 'resource');

    // Assess
    expect(decision).toBe(expected);
  });
});
