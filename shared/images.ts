// Scoring one image on request: validate the URI, refuse buckets outside ALLOWED_BUCKETS before any
// cloud call, then ask IMM.
import { ForbiddenError } from './errors';
import type { Invocation, Runtime } from './runtime';
import { formatOssUri, parseOssUri } from './uri';

export async function scoreImage(uri: unknown, runtime: Runtime, invocation: Invocation): Promise<{ uri: string; score: number }> {
  const location = parseOssUri(uri);
  assertBucketAllowed(location.bucket, runtime);
  const imm = await runtime.imm(invocation);
  const { score } = await imm.detectImageScore({ projectName: runtime.config.immProject, sourceUri: formatOssUri(location) }, { deadline: invocation.deadline });
  return { uri: formatOssUri(location), score };
}

export function assertBucketAllowed(bucket: string, runtime: Runtime): void {
  if (!runtime.config.allowedBuckets.has(bucket)) {
    throw new ForbiddenError('BucketNotAllowed', `bucket \`${bucket}\` is not served by this deployment`, 'add the bucket to ALLOWED_BUCKETS (and grant IMM access to it in its bucket policy)');
  }
}
