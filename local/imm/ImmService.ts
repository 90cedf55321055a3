// Service layer of the offline IMM: what every operation shares. Parameters are checked first (400),
// then the project is looked up in the caller's own account (404: IMM has no resource policies, so
// another account's project is simply not there), then RAM decides whether the caller may
// `imm:<Action>` the project (403), then, for an operation that makes IMM act as the project's service role,
// whether the caller may `ram:PassRole` that role (403), and only then does the action run.
import { immServiceRoleArn, passesServiceRole, type ConditionContext } from '../../shared/policy';
import type { Caller, Ram } from '../ram';
import { IMM_ACTIONS, type ImmAction } from './actions';
import { IMM_SERVICE_PRINCIPAL, type DataAccess } from './DataAccess';
import { createFfmpegRunner, type FfmpegRunner } from './ffmpeg';
import { immErrors } from './errors';
import { parseCredentialConfig, requireString, type Params } from './params';
import type { ProjectRegistry } from './ProjectRegistry';
import { createTaskRegistry, type TaskRegistry } from './tasks';
import { WebofficeTokenStore } from './weboffice/tokens';

export interface ImmCall {
  action: string;
  caller: Caller;
  accessKeyId: string;
  params: Params;
  sourceIp: string;
  userAgent: string;
  requestId: string;
  /** The Host header as the request arrived (WebofficeURL points back at it); default `localhost`. */
  host?: string;
}

export interface ImmServiceOptions {
  ram: Ram;
  projects: ProjectRegistry;
  data: DataAccess;
  region: string;
  now?: () => number;
  actions?: Readonly<Record<string, ImmAction<unknown>>>;
  /** Default: a registry of its own, two tasks at a time. */
  tasks?: TaskRegistry;
  /** Default: the @ffmpeg-installer binary. */
  ffmpeg?: FfmpegRunner;
  /** WebOffice sessions, shared with the viewer. Default: a store of its own with IMM's lifetimes. */
  weboffice?: WebofficeTokenStore;
}

export class ImmService {
  private readonly actions: Readonly<Record<string, ImmAction<unknown>>>;
  private readonly now: () => number;
  readonly tasks: TaskRegistry;
  private readonly ffmpeg: FfmpegRunner;
  readonly weboffice: WebofficeTokenStore;

  constructor(private readonly options: ImmServiceOptions) {
    this.actions = options.actions ?? IMM_ACTIONS;
    this.now = options.now ?? Date.now;
    this.tasks = options.tasks ?? createTaskRegistry({ now: this.now });
    this.ffmpeg = options.ffmpeg ?? createFfmpegRunner();
    this.weboffice = options.weboffice ?? new WebofficeTokenStore({ now: this.now });
  }

  has(action: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.actions, action);
  }

  /** Runs one operation; resolves to the response body without RequestId, or throws ImmError. */
  async call(call: ImmCall): Promise<Record<string, unknown>> {
    if (!this.has(call.action)) throw immErrors.unknownAction(call.action);
    const action = this.actions[call.action];
    const projectName = requireString(call.params, 'ProjectName');
    const input = action.parse(call.params);
    const credentialConfig = parseCredentialConfig(call.params);

    const { caller } = call;
    const accountId = caller.accountId;
    const project = accountId === undefined ? undefined : this.options.projects.get(accountId, projectName);
    if (!project) throw immErrors.resourceNotFound('Project', `no project \`${projectName}\` in account \`${accountId ?? '?'}\`, region \`${this.options.region}\``);

    const resource = `acs:imm:${this.options.region}:${project.accountId}:project/${project.name}`;
    const context: ConditionContext = {
      'acs:SourceIp': call.sourceIp,
      'acs:CurrentTime': new Date(this.now()).toISOString(),
      'acs:SecureTransport': 'false',
      'acs:AccessId': call.accessKeyId,
      'acs:UserAgent': call.userAgent,
    };
    const ramAction = `imm:${call.action}`;
    const result = this.options.ram.authorizeIdentity('imm', caller, ramAction, resource, context);
    if (result.decision !== 'Allow') {
      const why = [...result.explanation, ...result.errors.map((e) => `${e.path}: ${e.message}`)].join('; ');
      throw immErrors.accessDenied(`${caller.arn} was denied ${ramAction} on ${resource} (${result.decision}): ${why}`);
    }
    if (passesServiceRole(call.action)) this.authorizePassRole(caller, credentialConfig?.ServiceRole ?? project.serviceRole, project.accountId, context);

    return action.run(
      { caller, project, credentialConfig, data: this.options.data, region: this.options.region, requestId: call.requestId, now: this.now, tasks: this.tasks, ffmpeg: this.ffmpeg, weboffice: this.weboffice, host: call.host ?? 'localhost' },
      input,
    );
  }

  /**
   * The caller hands IMM a role to act as, so RAM must let the caller pass it: `ram:PassRole` on the role, checked
   * like any identity action (a session's session policy included). Which operations check it, and why, is
   * documented in shared/policy/immGrants.ts (OPERATIONS_PASSING_SERVICE_ROLE; IMM's docs leave it open). The context
   * carries `acs:Service` = IMM, the key IMM's own PassRole example conditions on
   * (help.aliyun.com/zh/imm/user-guide/custom-permissions-for-document-conversion).
   */
  private authorizePassRole(caller: Caller, roleName: string, accountId: string, context: ConditionContext): void {
    const roleArn = immServiceRoleArn(accountId, roleName);
    const result = this.options.ram.authorizeIdentity('imm', caller, 'ram:PassRole', roleArn, { ...context, 'acs:Service': IMM_SERVICE_PRINCIPAL });
    if (result.decision === 'Allow') return;
    const why = [...result.explanation, ...result.errors.map((e) => `${e.path}: ${e.message}`)].join('; ');
    throw immErrors.passRoleDenied(`${caller.arn} was denied ram:PassRole on ${roleArn} (${result.decision}), which IMM acts as for this operation: ${why}`);
  }
}
