// Versioning detection for claims: one GetBucketVersioning per container per bucket, failures not cached, and
// on-upload refusing a versioned bucket before it claims or calls IMM.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHandler } from '../../functions/on-upload';
import { assertClaimsExclusive, cachedVersioning, UNVERSIONED_MAX_AGE_MS, type VersioningStatus } from '../../shared/bucketVersioning';
import { loadConfig } from '../../shared/config';
import { AppError } from '../../shared/errors';
import type { FcContext } from '../../shared/fc/types';
import { createLogger } from '../../shared/log';
import type { Claim, Sidecar, SidecarStore } from '../../shared/oss';
import type { Runtime } from '../../shared/runtime';
import { fakeImm } from '../helpers/fakeImm';

/** An ali-oss style failure: a plain object with code and status. */
const sdkFailure = (code: string, status: number) => Object.assign(new Error(`${code}: refused`), { code, status, name: `${code}Error` });

describe('cachedVersioning', () => {
  it('asks once per bucket, and concurrent first calls share the one request', async () => {
    // Prepare
    const asked: string[] = [];
    const versioning = cachedVersioning(async (bucket) => {
      asked.push(bucket);
      return bucket === 'versioned' ? 'Enabled' : undefined;
    });

    // Act
    const first = await Promise.all([versioning('plain'), versioning('plain'), versioning('versioned')]);
    const later = await Promise.all([versioning('plain'), versioning('versioned')]);

    // Assess
    expect(first).toEqual([undefined, undefined, 'Enabled']);
    expect(later).toEqual([undefined, 'Enabled']);
    expect(asked).toEqual(['plain', 'versioned']);
  });

  it('does not keep a failure: the next call asks again, and keeps that answer', async () => {
    // Prepare
    const answers: (() => Promise<VersioningStatus>)[] = [() => Promise.reject(sdkFailure('AccessDenied', 403)), async () => 'Suspended'];
    let asked = 0;
    const versioning = cachedVersioning(() => answers[Math.min(asked++, answers.length - 1)]());

    // Act
    const failed = await versioning('b').catch((error: unknown) => error);
    const second = await versioning('b');
    const third = await versioning('b');

    // Assess
    expect(failed).toMatchObject({ code: 'AccessDenied' });
    expect([second, third]).toEqual(['Suspended', 'Suspended']);
    expect(asked).toBe(2);
  });

  it('asks again about a bucket that was unversioned after UNVERSIONED_MAX_AGE_MS, but never about a versioned one', async () => {
    // Prepare
    let clock = 0;
    const states: Record<string, VersioningStatus[]> = { plain: [undefined, 'Enabled'], versioned: ['Suspended', undefined] };
    const asked: string[] = [];
    const versioning = cachedVersioning(
      async (bucket) => {
        asked.push(bucket);
        return states[bucket].shift();
      },
      () => clock,
    );
    await Promise.all([versioning('plain'), versioning('versioned')]);

    // Act
    clock = UNVERSIONED_MAX_AGE_MS - 1;
    const beforeExpiry = await Promise.all([versioning('plain'), versioning('versioned')]);
    clock = UNVERSIONED_MAX_AGE_MS;
    const afterExpiry = await Promise.all([versioning('plain'), versioning('versioned')]);

    // Assess
    expect(beforeExpiry).toEqual([undefined, 'Suspended']);
    expect(afterExpiry).toEqual(['Enabled', 'Suspended']);
    expect(asked).toEqual(['plain', 'versioned', 'plain']);
  });
});

describe('assertClaimsExclusive', () => {
  it('passes a bucket that was never versioned', async () => {
    // Prepare
    const versioning = async () => undefined;

    // Act
    const result = assertClaimsExclusive(versioning, 'b');

    // Assess
    await expect(result).resolves.toBeUndefined();
  });

  it.each(['Enabled', 'Suspended'] as const)('refuses a bucket whose versioning is %s, for good and with a hint', async (status) => {
    // Prepare
    const versioning = async () => status;

    // Act
    const error = await assertClaimsExclusive(versioning, 'b').catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'BucketVersioningUnsupported', retryable: false, expose: true });
    expect((error as AppError).message).toContain(status);
    expect((error as AppError).hint).toMatch(/versioning was never enabled/);
  });

  it.each([
    { name: 'a denial names the grant', failure: sdkFailure('AccessDenied', 403), code: 'OssAccessDenied', retryable: false, hint: /oss:GetBucketVersioning.*acs:oss:\*:\*:b/ },
    { name: 'a passing fault is retryable', failure: sdkFailure('ServiceUnavailable', 503), code: 'OssUnavailable', retryable: true, hint: undefined },
  ])('maps a failed look-up: $name', async ({ failure, code, retryable, hint }) => {
    // Prepare
    const versioning = () => Promise.reject(failure);

    // Act
    const error = (await assertClaimsExclusive(versioning, 'b').catch((caught: unknown) => caught)) as AppError;

    // Assess
    expect(error).toMatchObject({ code, retryable });
    if (hint) expect(error.hint).toMatch(hint);
  });
});

describe('on-upload on a versioned bucket', () => {
  const template = JSON.parse(readFileSync(path.join(__dirname, '../../../shared/data/fc-events/oss.json'), 'utf8')).events[0];
  const context: FcContext = { requestId: 'req-1', credentials: { accessKeyId: 'STS.fn', accessKeySecret: 's', securityToken: 't' }, function: { name: 'on-upload' } };
  const event = Buffer.from(
    JSON.stringify({ events: [{ ...template, oss: { ...template.oss, bucket: { ...template.oss.bucket, name: 'test-bucket-2024' }, object: { ...template.oss.object, key: 'incoming/a.jpg' } } }] }),
  );

  function setup(lookup: () => Promise<VersioningStatus>) {
    const written = new Map<string, Sidecar>();
    const claims = new Map<string, Claim>();
    let immCalls = 0;
    let lookups = 0;
    const runtime: Runtime = {
      config: loadConfig({ IMM_PROJECT: 'immtest', REGION: 'cn-hangzhou', ALLOWED_BUCKETS: 'test-bucket-2024' }),
      log: createLogger({}, { write: () => undefined }, 'silent'),
      imm: async () =>
        fakeImm({
          detectImageScore: async () => {
            immCalls++;
            return { score: 0.5, requestId: 'R' };
          },
        }),
    };
    const store: SidecarStore = {
      write: async (_bucket, key, sidecar) => {
        written.set(key, sidecar);
        return `results/${key}.json`;
      },
      read: async (_bucket, key) => written.get(key),
      createClaim: async (_bucket, key, claim) => {
        if (claims.has(key)) return false;
        claims.set(key, claim);
        return true;
      },
      readClaim: async (_bucket, key) => claims.get(key),
      replaceClaim: async (_bucket, key, claim) => void claims.set(key, claim),
      // Pending markers play no part in the versioning check.
      putPending: async () => undefined,
      deletePending: async () => undefined,
      listPage: async () => ({ keys: [] }),
      head: async () => undefined,
      versioning: cachedVersioning(() => {
        lookups++;
        return lookup();
      }),
    };
    const handler = createHandler({ runtime, sidecars: () => store });
    return { handler, written, claims, counts: () => ({ immCalls, lookups }) };
  }

  it('writes a failed sidecar with BucketVersioningUnsupported, claims nothing, calls no IMM and asks FC for no retry', async () => {
    // Prepare
    const { handler, written, claims, counts } = setup(async () => 'Enabled');

    // Act
    const first = await handler(event, context);
    const second = await handler(event, context);

    // Assess
    expect(first.outcomes).toEqual({ failed: 1 });
    expect(second.outcomes).toEqual({ failed: 1 });
    expect(written.get('incoming/a.jpg')).toMatchObject({
      status: 'failed',
      operation: 'DetectImageScore',
      error: { code: 'BucketVersioningUnsupported', hint: expect.stringContaining('versioning was never enabled') },
    });
    expect(claims.size).toBe(0);
    expect(counts()).toEqual({ immCalls: 0, lookups: 1 });
  });

  it('retries a passing GetBucketVersioning fault through FC, and asks OSS again on the next delivery', async () => {
    // Prepare
    let calls = 0;
    const { handler, written, counts } = setup(async () => {
      calls++;
      if (calls === 1) throw sdkFailure('ServiceUnavailable', 503);
      return undefined;
    });

    // Act
    const first = await handler(event, context).catch((error: unknown) => error);
    const second = await handler(event, context);

    // Assess
    expect(first).toMatchObject({ code: 'RetryableFailure' });
    expect(second.outcomes).toEqual({ succeeded: 1 });
    expect(written.get('incoming/a.jpg')).toMatchObject({ status: 'succeeded', score: 0.5 });
    expect(counts()).toEqual({ immCalls: 1, lookups: 2 });
  });
});
