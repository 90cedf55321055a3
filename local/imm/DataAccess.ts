// IMM's own identity towards the data: the project's service role (or a CredentialConfig chain), assumed
// through the offline STS as the service `imm.aliyuncs.com`, cached until near expiry with concurrent
// requests sharing one assumption, and used to read objects. OSS failures become IMM errors that say which
// identity was refused what, so a caller can tell a missing bucket-policy grant from a missing object.
// Objects are read as streams: piped to a file, or to the browser, or held whole only within the MemoryBudget.
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parsePolicy, type ParsedPolicy } from '../../shared/policy';
import type { AccessKey } from '../ram';
import { StsError, type StsService } from '../sts';
import { ImmError, immErrors } from './errors';
import { MemoryBudget, type Release } from './MemoryBudget';
import { bodyOf, type ObjectBody, type ObjectReader } from './ossReader';
import type { ObjectWriter } from './ossWriter';
import type { CredentialConfig, OssUri } from './params';
import type { Project } from './ProjectRegistry';

export const IMM_SERVICE_PRINCIPAL = 'imm.aliyuncs.com';
/** Session name of IMM's service-role sessions. Real IMM's is unknown; bucket policies name `…/AliyunIMMDefaultRole/*`. */
export const IMM_SESSION_NAME = 'imm-service';
const SESSION_SECONDS = 3600;
/** A cached session is renewed this long before it expires. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;
/** OSS codes that mean the credentials themselves went bad (expired or revoked): renew once and retry. */
const STALE_CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SecurityTokenExpired', 'InvalidSecurityToken']);

export interface DataAccessOptions {
  sts: StsService;
  reader: ObjectReader;
  /** Where results go (CreateMediaConvertTask); without one, writes fail as internal errors. */
  writer?: ObjectWriter;
  /** The bytes IMM may hold in memory at once; default a budget of its own (64 MiB). */
  memory?: MemoryBudget;
  now?: () => number;
}

/** How large an object may be for one use, and the error that refuses a larger one (checked before reading). */
export interface SizeLimit {
  maxBytes: number;
  refuse: (size: number) => ImmError;
}

export class DataAccess {
  private readonly sessions = new Map<string, Promise<AccessKey>>();
  private readonly now: () => number;

  readonly memory: MemoryBudget;

  constructor(private readonly options: DataAccessOptions) {
    this.now = options.now ?? Date.now;
    this.memory = options.memory ?? new MemoryBudget();
  }

  /**
   * Opens `oss://bucket/key` as the project's data identity; the caller consumes or destroys the stream.
   * Refusals (access denied, missing object) come here, before any byte is read. Throws ImmError.
   */
  async open(project: Project, object: OssUri, credentialConfig?: CredentialConfig): Promise<ObjectBody> {
    for (let attempt = 1; ; attempt++) {
      const key = await this.identity(project, credentialConfig);
      try {
        // A stream that fails later (a broken connection) is reported by whoever consumes it.
        return bodyOf(await this.options.reader(object.bucket, object.key, key));
      } catch (error) {
        const code = String((error as { code?: unknown })?.code ?? '');
        if (attempt === 1 && STALE_CREDENTIAL_CODES.has(code)) {
          this.forget(project, credentialConfig);
          continue;
        }
        throw ossError(error, code, key, object, 'oss:GetObject');
      }
    }
  }

  /** The object's size as IMM's identity reads it: a GET whose body is dropped, so the bucket policy decides as for a read. */
  async probe(project: Project, object: OssUri, credentialConfig?: CredentialConfig): Promise<number> {
    const body = await this.open(project, object, credentialConfig);
    body.stream.destroy();
    return body.size;
  }

  /** Streams the object into `file` (created or replaced), after `limit` has checked its size. Returns its size. Throws ImmError. */
  async readToFile(project: Project, object: OssUri, file: string, credentialConfig?: CredentialConfig, limit?: SizeLimit): Promise<number> {
    const body = await this.open(project, object, credentialConfig);
    if (limit && body.size > limit.maxBytes) {
      body.stream.destroy();
      throw limit.refuse(body.size);
    }
    try {
      await pipeline(body.stream, countBytes(body.size), createWriteStream(file));
    } catch (error) {
      throw readError(error, object);
    }
    return body.size;
  }

  /**
   * Holds the whole object in memory for `use`, within the MemoryBudget: `extraBytes` is what `use` itself
   * allocates on top (decoded pixels, …). The object is refused by `limit` before it is read. Throws ImmError.
   */
  async withBytes<T>(project: Project, object: OssUri, credentialConfig: CredentialConfig | undefined, limit: SizeLimit, extraBytes: number, use: (bytes: Buffer) => Promise<T>): Promise<T> {
    const body = await this.open(project, object, credentialConfig);
    if (body.size > limit.maxBytes) {
      body.stream.destroy();
      throw limit.refuse(body.size);
    }
    let release: Release;
    try {
      release = await this.memory.reserve(body.size + extraBytes, `reading \`${object.uri}\``);
    } catch (error) {
      body.stream.destroy();
      throw error;
    }
    try {
      let bytes: Buffer;
      try {
        bytes = await collect(body.stream, body.size);
      } catch (error) {
        throw readError(error, object);
      }
      return await use(bytes);
    } finally {
      release();
    }
  }

  /** Writes the local `file` to `oss://bucket/key` as the project's data identity. Throws ImmError. */
  async write(project: Project, object: OssUri, file: string, credentialConfig?: CredentialConfig, contentType?: string): Promise<void> {
    const { writer } = this.options;
    if (!writer) throw immErrors.internal(`IMM has no OSS writer for \`${object.uri}\``);
    for (let attempt = 1; ; attempt++) {
      const key = await this.identity(project, credentialConfig);
      try {
        return await writer(object.bucket, object.key, file, key, contentType);
      } catch (error) {
        const code = String((error as { code?: unknown })?.code ?? '');
        if (attempt === 1 && STALE_CREDENTIAL_CODES.has(code)) {
          this.forget(project, credentialConfig);
          continue;
        }
        throw ossError(error, code, key, object, 'oss:PutObject');
      }
    }
  }

  /** The session IMM uses for this project (and CredentialConfig), assumed once and shared until near expiry. */
  identity(project: Project, credentialConfig?: CredentialConfig): Promise<AccessKey> {
    const cacheKey = sessionKey(project, credentialConfig);
    const cached = this.sessions.get(cacheKey);
    if (cached) {
      // A settled promise is checked for expiry; a pending one is shared (single flight).
      return cached.then((key) => (key.expiration && key.expiration.getTime() - this.now() < REFRESH_MARGIN_MS ? this.renew(cacheKey, project, credentialConfig, cached) : key));
    }
    return this.assume(cacheKey, project, credentialConfig);
  }

  private renew(cacheKey: string, project: Project, credentialConfig: CredentialConfig | undefined, stale: Promise<AccessKey>): Promise<AccessKey> {
    // Another request may have renewed it meanwhile.
    const current = this.sessions.get(cacheKey);
    return current && current !== stale ? current : this.assume(cacheKey, project, credentialConfig);
  }

  private forget(project: Project, credentialConfig?: CredentialConfig): void {
    this.sessions.delete(sessionKey(project, credentialConfig));
  }

  private assume(cacheKey: string, project: Project, credentialConfig?: CredentialConfig): Promise<AccessKey> {
    const fresh = this.assumeChain(project, credentialConfig);
    this.sessions.set(cacheKey, fresh);
    // A failure is never cached.
    fresh.catch(() => {
      if (this.sessions.get(cacheKey) === fresh) this.sessions.delete(cacheKey);
    });
    return fresh;
  }

  /**
   * The service role first, as `imm.aliyuncs.com` (only its trust policy decides); then each Chain node,
   * assumed by the previous session (its identity policies AND the next role's trust policy decide). A
   * `service` RoleType node is assumed as `imm.aliyuncs.com` again (an UNVERIFIED reading of reference §3).
   */
  private async assumeChain(project: Project, cfg?: CredentialConfig): Promise<AccessKey> {
    const { sts } = this.options;
    const roleName = cfg?.ServiceRole ?? project.serviceRole;
    const serviceRoleArn = `acs:ram::${project.accountId}:role/${roleName}`;
    const sessionPolicy = cfg?.Policy === undefined ? undefined : parseSessionPolicy(cfg.Policy);
    let key: AccessKey;
    try {
      key = await sts.assumeRoleAsService(IMM_SERVICE_PRINCIPAL, serviceRoleArn, IMM_SESSION_NAME, SESSION_SECONDS, sessionPolicy);
    } catch (error) {
      throw assumeError(error, `the service role \`${serviceRoleArn}\` of project \`${project.name}\``);
    }
    for (const [i, node] of (cfg?.Chain ?? []).entries()) {
      const roleArn = `acs:ram::${node.AssumeRoleFor}:role/${node.Role}`;
      try {
        key =
          node.RoleType === 'service'
            ? await sts.assumeRoleAsService(IMM_SERVICE_PRINCIPAL, roleArn, IMM_SESSION_NAME, SESSION_SECONDS)
            : sts.assumeRole({ caller: key.caller, roleArn, roleSessionName: IMM_SESSION_NAME, durationSeconds: SESSION_SECONDS, context: { 'acs:AccessId': key.accessKeyId } }).key;
      } catch (error) {
        throw assumeError(error, `CredentialConfig.Chain[${i}] \`${roleArn}\` (as ${key.caller.arn})`);
      }
    }
    return key;
  }
}

function sessionKey(project: Project, cfg?: CredentialConfig): string {
  return JSON.stringify([project.accountId, project.name, cfg?.ServiceRole ?? project.serviceRole, cfg?.Policy ?? null, cfg?.Chain ?? []]);
}

function parseSessionPolicy(doc: string): ParsedPolicy {
  const parsed = parsePolicy(doc, 'identity');
  if (!parsed.ok) {
    throw immErrors.invalidArgument(`The parameter CredentialConfig.Policy is not valid: ${parsed.problems.map((p) => `${p.path || '(document)'}: ${p.message}`).join('; ')}.`);
  }
  return parsed.policy;
}

/**
 * IMM could not become its data identity: a missing role, or a trust policy that does not trust IMM.
 * 400 InvalidArgument (the emulator's choice: the project's configuration is at fault, not the caller's RAM grants).
 */
function assumeError(error: unknown, what: string): ImmError {
  if (error instanceof ImmError) return error;
  if (error instanceof StsError) {
    // STS's own sentence is the documented one and says nothing specific; the engine's explanation says why.
    const why = error.explanation.length > 0 ? ` (${error.explanation.join('; ')})` : '';
    return immErrors.invalidArgument(`IMM could not assume ${what}: ${error.code}: ${error.message}${why}`);
  }
  return immErrors.internal(`IMM could not assume ${what}: ${String((error as Error)?.message ?? error)}`);
}

/** Role-session principal as bucket policies name it, with the session as `*`. */
function rolePrincipal(key: AccessKey): string {
  const { caller } = key;
  return caller.kind === 'role-session' ? `arn:sts::${caller.accountId}:assumed-role/${caller.roleName}/*` : caller.arn;
}

/** Passes bytes through, failing if more arrive than OSS announced (the size every limit was checked on). */
function countBytes(size: number): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return async function* (source) {
    let seen = 0;
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > size) throw new Error(`OSS sent more than the ${size} bytes it announced`);
      yield chunk;
    }
    if (seen < size) throw new Error(`OSS sent ${seen} of the ${size} bytes it announced`);
  };
}

/** The announced `size` bytes of a stream, in one Buffer allocated once. */
async function collect(stream: Readable, size: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(size);
  let offset = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    if (offset + buffer.length > size) {
      stream.destroy();
      throw new Error(`OSS sent more than the ${size} bytes it announced`);
    }
    buffer.copy(bytes, offset);
    offset += buffer.length;
  }
  if (offset < size) throw new Error(`OSS sent ${offset} of the ${size} bytes it announced`);
  return bytes;
}

/** A read that broke after OSS said yes: a broken connection, a short body or a full disk. */
function readError(error: unknown, object: OssUri): ImmError {
  if (error instanceof ImmError) return error;
  return immErrors.internal(`IMM could not read \`${object.uri}\`: ${String((error as Error)?.message ?? error)}`);
}

function ossError(error: unknown, code: string, key: AccessKey, object: OssUri, action: 'oss:GetObject' | 'oss:PutObject'): ImmError {
  const message = String((error as { message?: unknown })?.message ?? error);
  switch (code) {
    case 'AccessDenied':
      return immErrors.fileAccessForbidden(
        `the bucket \`${object.bucket}\` denied IMM's service role: principal ${rolePrincipal(key)} (session ${key.caller.arn}) ` +
          `may not ${action} on \`${object.uri}\`; grant it in the bucket policy. OSS said: ${message}`,
      );
    case 'NoSuchKey':
      return immErrors.resourceNotFound('OSSObject', `\`${object.uri}\` does not exist`);
    case 'NoSuchBucket':
      return immErrors.resourceNotFound('OSSBucket', `the bucket \`${object.bucket}\` of \`${object.uri}\` does not exist`);
    default:
      return immErrors.internal(`IMM could not ${action === 'oss:GetObject' ? 'read' : 'write'} \`${object.uri}\`: ${code || 'Error'}: ${message}`);
  }
}
