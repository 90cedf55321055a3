// Temporary credentials for the media account's operator role, obtained with STS AssumeRole using the
// function's own credentials. One warm container makes one STS call per role per credential lifetime:
// results are cached until shortly before they expire, concurrent callers share one in-flight request,
// and a failure is never cached.
import { AppError, UpstreamError } from './errors';
import { findKnownError, knownAppError } from './errorHints';
import { DEFAULT_RETRY, withRetry, type RetryOptions } from './retry';
import { isTransient, sdkErrorInfo } from './sdkError';

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  expiration?: Date;
}

export interface AssumeRoleInput {
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number;
  externalId?: string;
  /** Session policy (JSON): the temporary credentials get the intersection of it and the role's permissions. */
  policy?: string;
}

export type AssumeRole = (base: Credentials, input: AssumeRoleInput) => Promise<Credentials>;

export interface CredentialsProviderOptions {
  roleArn?: string;
  externalId?: string;
  /** Session policy sent with AssumeRole, narrowing the credentials to what the function calls. */
  sessionPolicy?: string;
  durationSeconds: number;
  assumeRole: AssumeRole;
  now?: () => number;
  /** Credentials are refreshed this long before they expire. */
  refreshMarginMs?: number;
  /** Backoff settings for throttled or failed STS calls (tests shorten them). */
  retry?: Partial<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>>;
}

export interface CallerInfo {
  functionName?: string;
  requestId?: string;
  /** Epoch ms after which no retry is started (the FC invocation's deadline). */
  deadline?: number;
  /** The data account the function runs in (FC's context.accountId), named by the hint of a refused AssumeRole. */
  accountId?: string;
}

interface CacheEntry {
  promise: Promise<Credentials>;
  /** Epoch ms after which the entry must not be used; Infinity while the request is in flight. */
  usableUntil: number;
}

const FIVE_MINUTES = 5 * 60 * 1000;

/** RoleSessionName: traceable (function + request id), 2–64 characters of `[A-Za-z0-9.@_-]`. */
export function roleSessionName(functionName: string | undefined, requestId: string | undefined): string {
  const raw = `${functionName || 'imm-bridge'}.${requestId || 'local'}`;
  const safe = raw.replace(/[^A-Za-z0-9.@_-]/g, '-').slice(0, 64);
  return safe.length >= 2 ? safe : `${safe}--`.slice(0, 2);
}

export class CredentialsProvider {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly now: () => number;
  private readonly refreshMarginMs: number;

  constructor(private readonly options: CredentialsProviderOptions) {
    this.now = options.now ?? Date.now;
    this.refreshMarginMs = options.refreshMarginMs ?? FIVE_MINUTES;
  }

  /**
   * Credentials to call IMM with. Without a configured role the function's own credentials are used
   * (media and data account are the same).
   */
  async get(base: Credentials, caller: CallerInfo): Promise<Credentials> {
    const roleArn = this.options.roleArn;
    if (!roleArn) return base;
    const cached = this.cache.get(roleArn);
    if (cached && cached.usableUntil > this.now()) return cached.promise;

    const entry: CacheEntry = { promise: this.assume(base, roleArn, roleSessionName(caller.functionName, caller.requestId), caller.deadline, caller.accountId), usableUntil: Infinity };
    this.cache.set(roleArn, entry);
    entry.promise.then(
      (creds) => {
        const expiresAt = creds.expiration?.getTime() ?? this.now() + this.options.durationSeconds * 1000;
        entry.usableUntil = expiresAt - this.refreshMarginMs;
      },
      () => {
        // Never cache a failure: the next caller tries again.
        if (this.cache.get(roleArn) === entry) this.cache.delete(roleArn);
      },
    );
    return entry.promise;
  }

  private async assume(base: Credentials, roleArn: string, sessionName: string, deadline: number | undefined, accountId: string | undefined): Promise<Credentials> {
    const input: AssumeRoleInput = {
      roleArn,
      roleSessionName: sessionName,
      durationSeconds: this.options.durationSeconds,
      externalId: this.options.externalId,
      policy: this.options.sessionPolicy,
    };
    try {
      return await withRetry(() => this.options.assumeRole(base, input), {
        ...DEFAULT_RETRY,
        ...this.options.retry,
        deadline,
        now: this.now,
        isRetryable: (error) => isTransient(sdkErrorInfo(error)),
      });
    } catch (error) {
      throw assumeRoleError(error, roleArn, Boolean(this.options.externalId), accountId);
    }
  }
}

/** STS refused AssumeRole: the documented error (shared/errorHints.ts) decides our code and hint. */
export function assumeRoleError(error: unknown, roleArn: string, withExternalId: boolean, dataAccountId?: string): AppError {
  if (error instanceof AppError) return error;
  const info = sdkErrorInfo(error);
  if (isTransient(info)) {
    return new UpstreamError('StsUnavailable', `sts:AssumeRole on \`${roleArn}\` failed: ${info.code}`, info.code.includes('Throttling') ? 503 : 502, error);
  }
  const context = { roleArn, withExternalId, dataAccountId };
  // A 403 with a code the table does not know is still a refusal, with the same possible causes as NoPermission.
  const known = findKnownError('sts', info) ?? (info.statusCode === 403 ? findKnownError('sts', { code: 'NoPermission', message: '' }) : undefined);
  if (known) {
    const verb = known.ours.status === 403 ? 'was denied' : 'failed';
    return knownAppError(known, `sts:AssumeRole on \`${roleArn}\` ${verb}: ${info.code}: ${info.message}`, context, error);
  }
  return new AppError('AssumeRoleFailed', `sts:AssumeRole on \`${roleArn}\` failed: ${info.code}: ${info.message}`, 502, { cause: error, expose: true });
}
