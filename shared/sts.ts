// STS AssumeRole through the official @alicloud/sts20150401 client, signed with the caller's credentials.
import type { Config } from './config';
import type { AssumeRole, Credentials } from './credentials';

// httpx uses `connectTimeout` as the socket idle timeout (it also bounds the wait for the response).
const CONNECT_TIMEOUT_MS = 10_000;
const READ_TIMEOUT_MS = 10_000;

const DEFAULT_STS_HOST = (region: string) => `sts.${region}.aliyuncs.com`;

export function createStsAssumeRole(config: Pick<Config, 'region' | 'stsEndpoint'>): AssumeRole {
  return async (base: Credentials, input) => {
    // Required lazily: only a function that actually assumes a role pays for loading the STS SDK.
    const { default: Sts, AssumeRoleRequest } = await import('@alicloud/sts20150401');
    const { $OpenApiUtil } = await import('@alicloud/openapi-core');
    const { RuntimeOptions } = await import('@darabonba/typescript');
    const client = new Sts(
      new $OpenApiUtil.Config({
        accessKeyId: base.accessKeyId,
        accessKeySecret: base.accessKeySecret,
        securityToken: base.securityToken,
        regionId: config.region,
        endpoint: config.stsEndpoint?.host ?? DEFAULT_STS_HOST(config.region),
        protocol: config.stsEndpoint?.protocol ?? 'https',
      }),
    );
    const response = await client.assumeRoleWithOptions(
      new AssumeRoleRequest({
        roleArn: input.roleArn,
        roleSessionName: input.roleSessionName,
        durationSeconds: input.durationSeconds,
        externalId: input.externalId,
        policy: input.policy,
      }),
      // Every call has a timeout; retries are ours (shared/retry.ts), not the SDK's.
      new RuntimeOptions({ connectTimeout: CONNECT_TIMEOUT_MS, readTimeout: READ_TIMEOUT_MS }),
    );
    const c = response.body?.credentials;
    if (!c?.accessKeyId || !c.accessKeySecret || !c.securityToken) {
      throw Object.assign(new Error('AssumeRole answered without credentials'), { code: 'InvalidResponse', statusCode: 502 });
    }
    return {
      accessKeyId: c.accessKeyId,
      accessKeySecret: c.accessKeySecret,
      securityToken: c.securityToken,
      expiration: c.expiration ? new Date(c.expiration) : undefined,
    };
  };
}
