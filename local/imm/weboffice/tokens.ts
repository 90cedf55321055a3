// WebOffice sessions of the offline IMM, in memory: what GenerateWebofficeToken grants (one file of one
// project, read as which identity, with which permission, for which user) and the token pair that proves it.
// The access token opens the viewer until it expires; the refresh token, presented together with its own
// access token, trades the pair for a new one once (the old pair stops working at that moment). Tokens are
// 128 random bits as 32 hex characters, the shape of IMM's (`2d73dd5d87524c5e8a194c3eb5…`). Nothing here
// logs: tokens are bearer secrets.
import { randomBytes } from 'node:crypto';
import type { CredentialConfig, OssUri } from '../params';
import type { Project } from '../ProjectRegistry';

/** IMM's lifetimes (reference §2 GenerateWebofficeToken): 30 minutes and 1 day. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 30 * 60;
export const DEFAULT_REFRESH_TOKEN_TTL_SECONDS = 24 * 60 * 60;

/** WebofficePermission as IMM's SDK models it; every field defaults to false. */
export interface WebofficePermission {
  Readonly?: boolean;
  Rename?: boolean;
  History?: boolean;
  Copy?: boolean;
  Export?: boolean;
  Print?: boolean;
}

export interface WebofficeUser {
  Id?: string;
  Name?: string;
  Avatar?: string;
}

/** What one GenerateWebofficeToken call grants. */
export interface WebofficeGrant {
  project: Project;
  source: OssUri;
  /** Decides how the document is shown (by its extension). */
  filename: string;
  permission: WebofficePermission;
  /** IMM reads the document as the project's service role, or through this chain, at every view. */
  credentialConfig?: CredentialConfig;
  user?: WebofficeUser;
  /** Show at most this many pages (IMM's PreviewPages); undefined shows all. */
  previewPages?: number;
}

/** A grant plus the id its viewer URL names (`/office/s/<fileId>`); the id survives refreshes. */
export interface WebofficeSession extends WebofficeGrant {
  fileId: string;
}

export interface IssuedTokens {
  fileId: string;
  accessToken: string;
  /** Epoch milliseconds. */
  accessTokenExpiresAt: number;
  refreshToken: string;
  refreshTokenExpiresAt: number;
}

/** Why a refresh was refused; RefreshWebofficeToken turns it into an ImmError. */
export type RefreshFailure = 'unknown' | 'expired' | 'mismatch';

export class WebofficeTokenError extends Error {
  constructor(
    readonly reason: RefreshFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebofficeTokenError';
  }
}

export interface WebofficeTokenStoreOptions {
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  now?: () => number;
  /** Replaces the crypto source, e.g. to make tests deterministic. */
  randomHex?: (bytes: number) => string;
}

interface Entry {
  session: WebofficeSession;
  accessToken: string;
  accessTokenExpiresAt: number;
  refreshToken: string;
  refreshTokenExpiresAt: number;
}

export class WebofficeTokenStore {
  private readonly byAccessToken = new Map<string, Entry>();
  private readonly byRefreshToken = new Map<string, Entry>();
  private readonly accessTtlMs: number;
  private readonly refreshTtlMs: number;
  private readonly now: () => number;
  private readonly randomHex: (bytes: number) => string;

  constructor(options: WebofficeTokenStoreOptions = {}) {
    this.accessTtlMs = seconds(options.accessTokenTtlSeconds, DEFAULT_ACCESS_TOKEN_TTL_SECONDS, 'accessTokenTtlSeconds') * 1000;
    this.refreshTtlMs = seconds(options.refreshTokenTtlSeconds, DEFAULT_REFRESH_TOKEN_TTL_SECONDS, 'refreshTokenTtlSeconds') * 1000;
    this.now = options.now ?? Date.now;
    this.randomHex = options.randomHex ?? ((bytes) => randomBytes(bytes).toString('hex'));
  }

  /** A new session with a fresh fileId and token pair. */
  issue(grant: WebofficeGrant): IssuedTokens {
    this.sweep();
    return this.store({ ...grant, fileId: this.randomHex(16) });
  }

  /**
   * Trades a current pair for a new one on the same session. The access token may have expired (that is
   * what refreshing is for); the refresh token may not. Throws WebofficeTokenError; a refused attempt
   * leaves the pair as it was.
   */
  refresh(project: Project, accessToken: string, refreshToken: string): IssuedTokens {
    const entry = this.byRefreshToken.get(refreshToken);
    // Another project's session is answered like an unknown token: its existence is not the caller's business.
    if (!entry || !sameProject(entry.session.project, project)) {
      throw new WebofficeTokenError('unknown', 'the refresh token is unknown or was already used');
    }
    if (entry.refreshTokenExpiresAt <= this.now()) {
      this.forget(entry);
      throw new WebofficeTokenError('expired', `the refresh token expired at ${new Date(entry.refreshTokenExpiresAt).toISOString()}`);
    }
    if (entry.accessToken !== accessToken) {
      throw new WebofficeTokenError('mismatch', 'the access token is not the one issued with this refresh token');
    }
    this.forget(entry);
    return this.store(entry.session);
  }

  /** The session an access token opens for `fileId`; undefined if the token is unknown, expired or for another file. */
  authorize(accessToken: string, fileId: string): WebofficeSession | undefined {
    const entry = this.byAccessToken.get(accessToken);
    if (!entry || entry.session.fileId !== fileId || entry.accessTokenExpiresAt <= this.now()) return undefined;
    return entry.session;
  }

  /** How many pairs are held (expired ones are dropped as new ones are issued). */
  get size(): number {
    return this.byRefreshToken.size;
  }

  private store(session: WebofficeSession): IssuedTokens {
    const now = this.now();
    const entry: Entry = {
      session,
      accessToken: this.randomHex(16),
      accessTokenExpiresAt: now + this.accessTtlMs,
      refreshToken: this.randomHex(16),
      refreshTokenExpiresAt: now + this.refreshTtlMs,
    };
    this.byAccessToken.set(entry.accessToken, entry);
    this.byRefreshToken.set(entry.refreshToken, entry);
    const { accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt } = entry;
    return { fileId: session.fileId, accessToken, accessTokenExpiresAt, refreshToken, refreshTokenExpiresAt };
  }

  private forget(entry: Entry): void {
    this.byAccessToken.delete(entry.accessToken);
    this.byRefreshToken.delete(entry.refreshToken);
  }

  /** Drops pairs whose refresh token has expired: neither token can do anything any more. */
  private sweep(): void {
    const now = this.now();
    for (const entry of this.byRefreshToken.values()) if (entry.refreshTokenExpiresAt <= now) this.forget(entry);
  }
}

function sameProject(a: Project, b: Project): boolean {
  return a.accountId === b.accountId && a.name === b.name;
}

function seconds(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`weboffice.${name} must be a positive number of seconds, not \`${value}\``);
  return value;
}

