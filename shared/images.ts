// Scoring one image on request: validate the URI and refuse anything outside the api's scope (shared/scope.ts)
// before any cloud call, then ask IMM.
import type { Invocation, Runtime } from './runtime';
import { apiLocation } from './scope';
import { formatOssUri } from './uri';

export async function scoreImage(uri: unknown, runtime: Runtime, invocation: Invocation): Promise<{ uri: string; score: number }> {
  const location = apiLocation(uri, runtime.config);
  const imm = await runtime.imm(invocation);
  const { score } = await imm.detectImageScore({ projectName: runtime.config.immProject, sourceUri: formatOssUri(location) }, { deadline: invocation.deadline });
  return { uri: formatOssUri(location), score };
}
