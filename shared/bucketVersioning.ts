// Claims (shared/claims.ts) rest on `x-oss-forbid-overwrite`, which OSS ignores once a bucket's versioning is
// Enabled or Suspended: the PUT succeeds and makes a new version (OSS PutObject API reference; reference/deploy.md
// §3). OSS documents no other exclusive create for PutObject: no If-None-Match on writes, and bucket-level
// overwrite protection (PutBucketOverwriteConfig) says concurrent writes to a missing key may all be let through.
// So on a versioned bucket two deliveries could both claim, and the function refuses the bucket instead.
// A bucket that was ever versioned can never go back (PutBucketVersioning takes only Enabled or Suspended), so that
// answer is fetched once per container per bucket and kept for good. "Never versioned" can go stale (the partner
// may enable versioning while a container is warm), so it is asked again after UNVERSIONED_MAX_AGE_MS. A failed
// look-up is not kept at all.
import { findKnownError, knownAppError, ownHint } from './errorHints';
import { AppError, UpstreamError } from './errors';
import { isTransient, sdkErrorInfo } from './sdkError';

/** GetBucketVersioning's `<Status>`; undefined for a bucket that was never versioned. */
export type VersioningStatus = 'Enabled' | 'Suspended' | undefined;

/** Reads a bucket's versioning state (GetBucketVersioning with the function role). */
export type FetchVersioning = (bucket: string) => Promise<VersioningStatus>;

interface Lookup {
  answer: Promise<VersioningStatus>;
  askedAt: number;
  /** Set once the answer arrived. */
  settled?: boolean;
  status?: VersioningStatus;
}

/** One GetBucketVersioning per bucket per five minutes at most while it is unversioned; none once it is versioned. */
export const UNVERSIONED_MAX_AGE_MS = 5 * 60_000;

/**
 * Wraps `fetch` with a per-bucket cache. Concurrent first calls share one request; a failure is evicted so that
 * the next event asks again (a permission fix or a passing fault must not stick for the container's life).
 */
export function cachedVersioning(fetch: FetchVersioning, now: () => number = Date.now): FetchVersioning {
  const known = new Map<string, Lookup>();
  return (bucket) => {
    const entry = known.get(bucket);
    const stale = entry?.settled === true && entry.status === undefined && now() - entry.askedAt >= UNVERSIONED_MAX_AGE_MS;
    if (entry && !stale) return entry.answer;
    const fresh: Lookup = { answer: fetch(bucket), askedAt: now() };
    known.set(bucket, fresh);
    fresh.answer.then(
      (status) => Object.assign(fresh, { status, settled: true }),
      () => {
        if (known.get(bucket) === fresh) known.delete(bucket);
      },
    );
    return fresh.answer;
  };
}

/** The error a claim on a versioned bucket fails with: not retryable, since only a new bucket fixes it. */
export function versioningUnsupported(bucket: string, status: Exclude<VersioningStatus, undefined>): AppError {
  return new AppError('BucketVersioningUnsupported', `bucket \`${bucket}\` has versioning ${status}: claims on it are not exclusive, so a duplicate OSS delivery could be processed twice`, 409, {
    expose: true,
    retryable: false,
    hint: ownHint('BucketVersioningUnsupported'),
  });
}

/** Maps a GetBucketVersioning failure: denied names the grant, transient is retryable, anything else is a plain failure. */
export function versioningLookupError(error: unknown, bucket: string): AppError {
  if (error instanceof AppError) return error;
  const info = sdkErrorInfo(error);
  if (isTransient(info)) return new UpstreamError('OssUnavailable', `OSS GetBucketVersioning on \`${bucket}\` failed: ${info.code}`, 502, error);
  if (info.code === 'AccessDenied' || info.statusCode === 403) {
    // The table's OSS AccessDenied entries name the grant; GetBucketVersioning is authorized on the bucket itself.
    const known = findKnownError('oss', { code: 'AccessDenied', message: info.message });
    if (known) return knownAppError(known, `OSS denied GetBucketVersioning on \`oss://${bucket}\`: ${info.message}`, { bucket, operation: 'GetBucketVersioning' }, error);
  }
  return new AppError('OssFailed', `OSS GetBucketVersioning on \`oss://${bucket}\` failed: ${info.code}: ${info.message}`, 502, { cause: error });
}

/** Resolves when claims on `bucket` are exclusive; otherwise rejects with a typed AppError. */
export async function assertClaimsExclusive(versioning: FetchVersioning, bucket: string): Promise<void> {
  let status: VersioningStatus;
  try {
    status = await versioning(bucket);
  } catch (error) {
    throw versioningLookupError(error, bucket);
  }
  if (status !== undefined) throw versioningUnsupported(bucket, status);
}
