// The offline IMM's WebOffice token store, on an injected clock: lifetimes, refresh rotation, and every way a
// pair can be refused.
import type { Project } from '../../local/imm/ProjectRegistry';
import { immTime } from '../../local/imm/params';
import { WebofficeTokenError, WebofficeTokenStore, type WebofficeGrant } from '../../local/imm/weboffice/tokens';

const PROJECT: Project = { accountId: '2000000000000002', name: 'immtest', region: 'cn-hangzhou', serviceRole: 'AliyunIMMDefaultRole', createdAt: '2026-01-01T00:00:00.000Z' };
const OTHER: Project = { ...PROJECT, name: 'other' };
const GRANT: WebofficeGrant = {
  project: PROJECT,
  source: { bucket: 'test-bucket-2024', key: 'incoming/a.pdf', uri: 'oss://test-bucket-2024/incoming/a.pdf' },
  filename: 'a.pdf',
  permission: { Readonly: true },
  user: { Id: 'u1', Name: 'Ann' },
};
const T0 = Date.parse('2026-05-01T10:00:00.000Z');

describe('WebofficeTokenStore', () => {
  let now: number;
  let store: WebofficeTokenStore;

  beforeEach(() => {
    now = T0;
    store = new WebofficeTokenStore({ now: () => now });
  });

  /** The WebofficeTokenError a refresh throws. */
  const refusal = (accessToken: string, refreshToken: string, project = PROJECT): WebofficeTokenError => {
    try {
      store.refresh(project, accessToken, refreshToken);
    } catch (error) {
      if (error instanceof WebofficeTokenError) return error;
      throw error;
    }
    throw new Error('expected the refresh to be refused');
  };

  it('issues 128-bit hex tokens with IMM lifetimes of 30 minutes and 1 day', () => {
    // Act
    const issued = store.issue(GRANT);
    const again = store.issue(GRANT);

    // Assess
    expect(issued.accessToken).toMatch(/^[0-9a-f]{32}$/);
    expect(issued.refreshToken).toMatch(/^[0-9a-f]{32}$/);
    expect(issued.fileId).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set([issued.accessToken, issued.refreshToken, again.accessToken, again.refreshToken]).size).toBe(4);
    expect(again.fileId).not.toBe(issued.fileId);
    expect(issued.accessTokenExpiresAt).toBe(T0 + 1800_000);
    expect(issued.refreshTokenExpiresAt).toBe(T0 + 86400_000);
  });

  it('takes lifetimes from its options', () => {
    // Prepare
    store = new WebofficeTokenStore({ now: () => now, accessTokenTtlSeconds: 5, refreshTokenTtlSeconds: 60 });

    // Act
    const issued = store.issue(GRANT);

    // Assess
    expect([issued.accessTokenExpiresAt - T0, issued.refreshTokenExpiresAt - T0]).toEqual([5000, 60000]);
  });

  it.each([0, -1, Number.NaN])('refuses a lifetime of %p seconds', (ttl) => {
    // Act
    const create = () => new WebofficeTokenStore({ accessTokenTtlSeconds: ttl });

    // Assess
    expect(create).toThrow('weboffice.accessTokenTtlSeconds must be a positive number of seconds');
  });

  it('opens the session with the access token until it expires, and only for its own file', () => {
    // Prepare
    const issued = store.issue(GRANT);

    // Act
    const fresh = store.authorize(issued.accessToken, issued.fileId);
    const otherFile = store.authorize(issued.accessToken, 'f'.repeat(32));
    const withRefreshToken = store.authorize(issued.refreshToken, issued.fileId);
    now = issued.accessTokenExpiresAt - 1;
    const lastMoment = store.authorize(issued.accessToken, issued.fileId);
    now = issued.accessTokenExpiresAt;
    const expired = store.authorize(issued.accessToken, issued.fileId);

    // Assess
    expect(fresh).toMatchObject({ ...GRANT, fileId: issued.fileId });
    expect(otherFile).toBeUndefined();
    expect(withRefreshToken).toBeUndefined();
    expect(lastMoment).toBeDefined();
    expect(expired).toBeUndefined();
  });

  it('refresh rotates the pair on the same file and retires the old one', () => {
    // Prepare
    const old = store.issue(GRANT);
    now = T0 + 60_000;

    // Act
    const renewed = store.refresh(PROJECT, old.accessToken, old.refreshToken);

    // Assess
    expect(renewed.fileId).toBe(old.fileId);
    expect(renewed.accessToken).not.toBe(old.accessToken);
    expect(renewed.refreshToken).not.toBe(old.refreshToken);
    expect(renewed.accessTokenExpiresAt).toBe(now + 1800_000);
    expect(store.authorize(renewed.accessToken, old.fileId)).toBeDefined();
    expect(store.authorize(old.accessToken, old.fileId)).toBeUndefined();
    expect(refusal(old.accessToken, old.refreshToken).reason).toBe('unknown');
    expect(store.size).toBe(1);
  });

  it('refreshes a pair whose access token has expired', () => {
    // Prepare
    const old = store.issue(GRANT);
    now = old.accessTokenExpiresAt + 1;

    // Act
    const renewed = store.refresh(PROJECT, old.accessToken, old.refreshToken);

    // Assess
    expect(store.authorize(renewed.accessToken, old.fileId)).toBeDefined();
  });

  it('refuses an expired refresh token', () => {
    // Prepare
    const old = store.issue(GRANT);
    now = old.refreshTokenExpiresAt;

    // Act
    const error = refusal(old.accessToken, old.refreshToken);

    // Assess
    expect(error.reason).toBe('expired');
    expect(error.message).toBe('the refresh token expired at 2026-05-02T10:00:00.000Z');
  });

  it('refuses a pair that does not belong together, and leaves both real pairs usable', () => {
    // Prepare
    const a = store.issue(GRANT);
    const b = store.issue(GRANT);

    // Act
    const error = refusal(a.accessToken, b.refreshToken);

    // Assess
    expect(error.reason).toBe('mismatch');
    expect(store.refresh(PROJECT, a.accessToken, a.refreshToken)).toBeDefined();
    expect(store.refresh(PROJECT, b.accessToken, b.refreshToken)).toBeDefined();
  });

  it.each([
    ['an unknown refresh token', (t: { accessToken: string; refreshToken: string }) => [t.accessToken, 'f'.repeat(32), PROJECT] as const],
    ['the access token as the refresh token', (t: { accessToken: string }) => [t.accessToken, t.accessToken, PROJECT] as const],
    ["another project's pair", (t: { accessToken: string; refreshToken: string }) => [t.accessToken, t.refreshToken, OTHER] as const],
  ])('answers %s as unknown', (_name, pick) => {
    // Prepare
    const [accessToken, refreshToken, project] = pick(store.issue(GRANT));

    // Act
    const error = refusal(accessToken, refreshToken, project);

    // Assess
    expect(error.reason).toBe('unknown');
  });

  it('forgets pairs whose refresh token has expired as new ones are issued', () => {
    // Prepare
    store.issue(GRANT);
    store.issue(GRANT);
    now = T0 + 86400_000;

    // Act
    store.issue(GRANT);

    // Assess
    expect(store.size).toBe(1);
  });
});

describe('immTime', () => {
  it('writes epoch milliseconds as IMM does: UTC with nanoseconds', () => {
    // Act
    const text = immTime(Date.parse('2021-08-30T13:13:11.347Z'));

    // Assess
    expect(text).toBe('2021-08-30T13:13:11.347000000Z');
  });
});
