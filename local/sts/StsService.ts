// Service layer of the offline STS: what AssumeRole means. Validates the parameters, finds the role,
// asks RAM (and so shared/policy) whether the caller's identity AND the role's trust policy allow it,
// and mints a session. No HTTP here: http.ts calls assumeRole for signed requests, and the FC runner and
// the IMM emulator call assumeRoleAsService in-process for a cloud service assuming a role.
import { createHash } from 'node:crypto';
import { parsePolicy, type ConditionContext, type ParsedPolicy } from '../../shared/policy';
import type { AccessKey, Caller, Ram, Role } from '../ram';
import { stsErrors } from './errors';

export const MIN_DURATION_SECONDS = 900;
export const DEFAULT_DURATION_SECONDS = 3600;
/** The largest MaxSessionDuration a role can have (S-RAM). */
export const MAX_DURATION_SECONDS = 43200;
/** Session policy length (SDK model doc: "1 to 2,048 characters"; older docs said 1,024, reference/ram-policy.md §1.4). */
export const MAX_SESSION_POLICY_CHARS = 2048;

const ROLE_ARN = /^acs:ram::(\d+):role\/([^/]+)$/;
/** SDK doc: 2 to 64 characters, letters, digits and `. @ - _`. */
const SESSION_NAME = /^[A-Za-z0-9.@_-]{2,64}$/;
/** SDK doc: 2 to 1,224 characters, `[\w+=,.@:\/-]`. */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SERVICE_PRINCIPAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.aliyuncs\.com$/;

export interface AssumeRoleInput {
  caller: Caller;
  /** Raw request parameters, as strings; undefined when absent. */
  roleArn?: string;
  roleSessionName?: string;
  durationSeconds?: string | number;
  externalId?: string;
  policy?: string;
  /** acs:SourceIp, acs:UserAgent, acs:AccessId, …; sts:ExternalId and acs:CurrentTime are added here. */
  context?: ConditionContext;
}

export interface AssumeRoleOutput {
  role: Role;
  key: AccessKey;
  sessionName: string;
  /** `acs:ram::<uid>:role/<name>/<session>`. */
  assumedRoleArn: string;
  /** `<roleId>:<session>`. */
  assumedRoleId: string;
}

export class StsService {
  constructor(
    private readonly ram: Ram,
    private readonly now: () => number = Date.now,
  ) {}

  /** AssumeRole for a signed caller. Throws StsError. */
  assumeRole(input: AssumeRoleInput): AssumeRoleOutput {
    if (input.caller.kind === 'root') throw stsErrors.rootCaller();
    const roleArn = requireRoleArn(input.roleArn);
    const sessionName = requireSessionName(input.roleSessionName);
    const duration = parseDuration(input.durationSeconds);
    const externalId = optionalExternalId(input.externalId);
    const sessionPolicy = optionalSessionPolicy(input.policy);
    const role = this.requireRole(roleArn, duration);
    const context: ConditionContext = {
      'acs:CurrentTime': new Date(this.now()).toISOString(),
      'acs:SecureTransport': 'false',
      ...input.context,
      'sts:ExternalId': externalId,
    };
    const result = this.ram.authorizeAssumeRole(input.caller, role, context);
    if (result.decision !== 'Allow') {
      throw stsErrors.denied(input.caller.arn, result.decision, [...result.explanation, ...result.errors.map((e) => `${e.path}: ${e.message}`)]);
    }
    return this.issue(role, sessionName, duration, sessionPolicy);
  }

  /**
   * A cloud service (e.g. `fc.aliyuncs.com`, `imm.aliyuncs.com`) assuming a role, in-process: only the
   * role's trust policy decides, with the service as principal. Resolves to the session's key; rejects
   * with an StsError (403 NoPermission with the engine's explanation when the trust policy refuses).
   * Not counted as an `sts:AssumeRole` call: no API request is made.
   */
  async assumeRoleAsService(servicePrincipal: string, roleArn: string, sessionName: string, durationSeconds = DEFAULT_DURATION_SECONDS, sessionPolicy?: ParsedPolicy): Promise<AccessKey> {
    return this.serviceSession(servicePrincipal, roleArn, sessionName, durationSeconds, sessionPolicy).key;
  }

  private serviceSession(servicePrincipal: string, roleArn: string, sessionName: string, durationSeconds = DEFAULT_DURATION_SECONDS, sessionPolicy?: ParsedPolicy): AssumeRoleOutput {
    if (!SERVICE_PRINCIPAL.test(servicePrincipal)) throw stsErrors.invalidServicePrincipal(servicePrincipal);
    const arn = requireRoleArn(roleArn);
    const name = requireSessionName(sessionName);
    const duration = parseDuration(durationSeconds);
    const role = this.requireRole(arn, duration);
    const caller: Caller = { kind: 'service', arn: servicePrincipal };
    const result = this.ram.authorizeAssumeRole(caller, role, { 'acs:CurrentTime': new Date(this.now()).toISOString() });
    if (result.decision !== 'Allow') {
      throw stsErrors.denied(servicePrincipal, result.decision, [...result.explanation, ...result.errors.map((e) => `${e.path}: ${e.message}`)]);
    }
    return this.issue(role, name, duration, sessionPolicy);
  }

  private requireRole(roleArn: string, duration: number): Role {
    const role = this.ram.findRole(roleArn);
    if (!role) throw stsErrors.roleNotFound();
    if (duration > role.maxSessionDuration) {
      throw stsErrors.invalid('DurationSeconds', `${duration} exceeds the MaxSessionDuration ${role.maxSessionDuration} of \`${role.arn}\``);
    }
    return role;
  }

  private issue(role: Role, sessionName: string, duration: number, sessionPolicy?: ParsedPolicy): AssumeRoleOutput {
    const key = this.ram.issueSession(role, sessionName, duration, sessionPolicy);
    return {
      role,
      key,
      sessionName,
      assumedRoleArn: `${role.arn}/${sessionName}`,
      assumedRoleId: `${roleId(role)}:${sessionName}`,
    };
  }
}

function requireRoleArn(value: string | undefined): string {
  if (value === undefined || value === '') throw stsErrors.missing('RoleArn');
  if (!ROLE_ARN.test(value)) throw stsErrors.invalid('RoleArn', `\`${value}\` must be \`acs:ram::<account-id>:role/<role-name>\``);
  return value;
}

function requireSessionName(value: string | undefined): string {
  if (value === undefined || value === '') throw stsErrors.missing('RoleSessionName');
  if (!SESSION_NAME.test(value)) {
    throw stsErrors.invalid('RoleSessionName', `\`${value}\` must be 2 to 64 characters of letters, digits and \`. @ - _\``);
  }
  return value;
}

function parseDuration(value: string | number | undefined): number {
  if (value === undefined || value === '') return DEFAULT_DURATION_SECONDS;
  const text = String(value);
  const seconds = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < MIN_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) {
    throw stsErrors.invalid('DurationSeconds', `\`${text}\` must be a whole number of seconds from ${MIN_DURATION_SECONDS} to the role's MaxSessionDuration`);
  }
  return seconds;
}

function optionalExternalId(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!EXTERNAL_ID.test(value)) {
    throw stsErrors.invalid('ExternalId', 'it must be 2 to 1224 characters of letters, digits and `_ + = , . @ : / -`');
  }
  return value;
}

function optionalSessionPolicy(value: string | undefined): ParsedPolicy | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_SESSION_POLICY_CHARS) throw stsErrors.policySize(value.length, MAX_SESSION_POLICY_CHARS);
  const parsed = parsePolicy(value, 'identity');
  if (!parsed.ok) throw stsErrors.policyGrammar(parsed.problems.map((p) => `${p.path || '(document)'}: ${p.message}`).join('; '));
  return parsed.policy;
}

/** A stable numeric role id (RAM gives each role one; ram.ts does not model it), derived from the role ARN. */
function roleId(role: Role): string {
  const digest = createHash('sha256').update(role.arn.toLowerCase()).digest();
  return `3${(digest.readBigUInt64BE(0) % 10n ** 16n).toString().padStart(16, '0')}`;
}
