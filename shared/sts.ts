// STS AssumeRole through the official @alicloud/sts20150401 client, signed with the caller's credentials.
import type { Config } from './config';
import type { AssumeRole, Credentials } from './credentials';

// httpx uses `connectTimeout` as the socket idle timeout (it also bounds the wait for the response).
const CONNECT_TIMEOUT_MS = 10_000;
const READ_TIMEOUT_MS = 10_000;

/** What `$OpenApiUtil.Config` gets for the STS client; plain data, so that a test can check it without sockets. */
export interface StsClientConfig {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  regionId: string;
  endpoint?: string;
  protocol: 'http' | 'https';
}

/**
 * An explicit endpoint only when STS_ENDPOINT is configured. Otherwise the SDK decides from `regionId`:
 * @alicloud/sts20150401 1.2.0 maps some regions (e.g. `ap-south-1`, `ap-southeast-2`) to the global
 * `sts.aliyuncs.com` and the rest to `sts.<region>.aliyuncs.com` (its `_endpointMap` and `getEndpoint`;
 * reference/deploy.md §4). An endpoint passed here would bypass that map.
 */
export function stsClientConfig(base: Credentials, config: Pick<Config, 'region' | 'stsEndpoint'>): StsClientConfig {
  return {
    accessKeyId: base.accessKeyId,
    accessKeySecret: base.accessKeySecret,
    securityToken: base.securityToken,
    regionId: config.region,
    ...(config.stsEndpoint ? { endpoint: config.stsEndpoint.host } : {}),
    protocol: config.stsEndpoint?.protocol ?? 'https',
  };
}

export function createStsAssumeRole(config: Pick<Config, 'region' | 'stsEndpoint'>): AssumeRole {
  return async (base: Credentials, input) => {
    // Required lazily: only a function that actually assumes a role pays for loading the STS SDK.
    const { default: Sts, AssumeRoleRequest } = await import('@alicloud/sts20150401');
    const { $OpenApiUtil } = await import('@alicloud/openapi-core');
    const { RuntimeOptions } = await import('@darabonba/typescript');
    const client = new Sts(new $OpenApiUtil.Config(stsClientConfig(base, config)));
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
