// Everything a warm container keeps between invocations: configuration, logger, the credentials cache
// and SDK clients. Built lazily once per container; tests inject their own pieces.
import { loadConfig, type Config } from './config';
import { CredentialsProvider, type AssumeRole, type Credentials } from './credentials';
import { ownHint } from './errorHints';
import { AppError } from './errors';
import type { FcContext } from './fc/types';
import { createImmClient, type ImmClient } from './imm';
import { immSessionPolicy } from './jobs';
import { createLogger, type Logger } from './log';
import { createStsAssumeRole } from './sts';

export interface Invocation {
  functionName?: string;
  requestId?: string;
  /** The function role's credentials from the FC context. */
  credentials: Credentials;
  log: Logger;
  /** Epoch ms after which no retry is started, so the invocation ends before FC's timeout. */
  deadline?: number;
  /** The account the function runs in (FC's context.accountId): hints name it. */
  accountId?: string;
}

export interface Runtime {
  config: Config;
  log: Logger;
  /** IMM client with the operator role's credentials (or the function's own when no role is set). */
  imm(invocation: Invocation): Promise<ImmClient>;
  /**
   * An IMM client from a fresh AssumeRole, bypassing the cache: the deep health check (shared/health.ts) must see
   * today's trust policy and ExternalId, not credentials assumed before they changed. Fakes may omit it.
   */
  freshImm?(invocation: Invocation): Promise<ImmClient>;
}

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Where log lines go (stdout by default); the local stack and tests collect them. */
  logDestination?: { write(line: string): void };
  assumeRole?: AssumeRole;
  now?: () => number;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const log = options.log ?? createLogger({}, options.logDestination, env.LOG_LEVEL ?? 'info');
  const newProvider = () => new CredentialsProvider({
    roleArn: config.immRoleArn,
    externalId: config.immRoleExternalId,
    sessionPolicy: config.sessionPolicy ? immSessionPolicy(config) : undefined,
    durationSeconds: config.stsDurationSeconds,
    assumeRole: options.assumeRole ?? createStsAssumeRole(config),
    now: options.now,
  });
  const provider = newProvider();
  // Clients are keyed by AccessKeyId, so renewed credentials get a new client and old ones are dropped.
  let immClient: { keyId: string; client: ImmClient } | undefined;
  return {
    config,
    log,
    async imm(invocation) {
      const creds = await provider.get(invocation.credentials, invocation);
      if (immClient?.keyId !== creds.accessKeyId) immClient = { keyId: creds.accessKeyId, client: createImmClient(creds, config) };
      return immClient.client;
    },
    async freshImm(invocation) {
      return createImmClient(await newProvider().get(invocation.credentials, invocation), config);
    },
  };
}

/** The function's own credentials from the FC context; FC fills them only when the function has a role. */
/** Retries stop this long before FC's timeout, leaving time to write the sidecar. */
const DEADLINE_MARGIN_MS = 3000;

export function invocationFrom(context: FcContext, log: Logger, now: number = Date.now()): Invocation {
  const c = context.credentials;
  if (!c?.accessKeyId || !c.accessKeySecret) {
    throw new AppError('MissingFunctionRole', 'the FC context has no credentials', 500, {
      expose: false,
      hint: ownHint('MissingFunctionRole'),
    });
  }
  const requestId = context.requestId;
  const timeoutMs = (context.function?.timeout ?? 0) * 1000;
  return {
    functionName: context.function?.name,
    requestId,
    credentials: { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken },
    log: log.child({ requestId }),
    deadline: timeoutMs > 0 ? now + Math.max(timeoutMs - DEADLINE_MARGIN_MS, timeoutMs / 2) : undefined,
    ...(context.accountId ? { accountId: context.accountId } : {}),
  };
}
