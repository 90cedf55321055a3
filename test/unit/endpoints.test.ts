// Which endpoints the real SDK clients end up with, built from our options. No request is sent: both
// constructors only compute their endpoint.
import OSS from 'ali-oss';
import Sts from '@alicloud/sts20150401';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import { loadConfig } from '../../shared/config';
import type { Credentials } from '../../shared/credentials';
import { ossClientOptions } from '../../shared/oss';
import { stsClientConfig } from '../../shared/sts';

const base: Credentials = { accessKeyId: 'STS.fn', accessKeySecret: 'fn-secret', securityToken: 'fn-token' };
const env = {
  IMM_PROJECT: 'immtest',
  REGION: 'cn-hangzhou',
  ALLOWED_BUCKETS: 'test-bucket-2024',
  API_TOKENS_SHA256: 'a'.repeat(64),
};

/** The host an ali-oss client would send requests to. */
function ossHost(options: ReturnType<typeof ossClientOptions>): string {
  const client = new OSS(options) as unknown as { options: { endpoint: { host: string; protocol: string } } };
  return `${client.options.endpoint.protocol}//${client.options.endpoint.host}`;
}

/** The endpoint @alicloud/sts20150401 resolved in its constructor (`getEndpoint`). */
function stsEndpoint(config: ReturnType<typeof stsClientConfig>): string {
  const client = new Sts(new $OpenApiUtil.Config(config)) as unknown as { _endpoint: string };
  return client._endpoint;
}

describe('OSS endpoint', () => {
  it('is the internal endpoint of the region by default (OSS_INTERNAL on)', () => {
    // Prepare
    const config = loadConfig(env);
    // Act
    const host = ossHost(ossClientOptions(base, config, 'test-bucket-2024'));
    // Assess
    expect(config.ossInternal).toBe(true);
    expect(host).toBe('https://oss-cn-hangzhou-internal.aliyuncs.com');
  });

  it('is the public endpoint with OSS_INTERNAL=off', () => {
    // Prepare
    const config = loadConfig({ ...env, OSS_INTERNAL: 'off' });
    // Act
    const host = ossHost(ossClientOptions(base, config, 'test-bucket-2024'));
    // Assess
    expect(host).toBe('https://oss-cn-hangzhou.aliyuncs.com');
  });

  it('is OSS_ENDPOINT when set, whatever OSS_INTERNAL says', () => {
    // Prepare
    const config = loadConfig({ ...env, OSS_ENDPOINT: 'http://localhost:9100', OSS_INTERNAL: 'on' });
    // Act
    const host = ossHost(ossClientOptions(base, config, 'test-bucket-2024'));
    // Assess
    expect(host).toBe('http://localhost:9100');
  });

  it('refuses an OSS_INTERNAL that is neither on nor off', () => {
    // Act / Assess
    expect(() => loadConfig({ ...env, OSS_INTERNAL: 'yes' })).toThrow(/OSS_INTERNAL must be `on` or `off`/);
  });
});

describe('STS endpoint', () => {
  it.each([
    // @alicloud/sts20150401 1.2.0 `_endpointMap`: these regions go to the global endpoint.
    ['ap-south-1', 'sts.aliyuncs.com'],
    ['ap-southeast-2', 'sts.aliyuncs.com'],
    ['cn-wuhan', 'sts.aliyuncs.com'],
    // Not in the map: the SDK's `regional` rule.
    ['cn-hangzhou', 'sts.cn-hangzhou.aliyuncs.com'],
    ['eu-central-1', 'sts.eu-central-1.aliyuncs.com'],
  ])('leaves %s to the SDK, which picks %s', (region, expected) => {
    // Prepare
    const config = loadConfig({ ...env, REGION: region });
    // Act
    const options = stsClientConfig(base, config);
    // Assess
    expect(options.endpoint).toBeUndefined();
    expect(options).toMatchObject({ regionId: region, protocol: 'https' });
    expect(stsEndpoint(options)).toBe(expected);
  });

  it('uses STS_ENDPOINT when set, with its protocol', () => {
    // Prepare
    const config = loadConfig({ ...env, REGION: 'ap-south-1', STS_ENDPOINT: 'http://127.0.0.1:9101' });
    // Act
    const options = stsClientConfig(base, config);
    // Assess
    expect(options).toMatchObject({ endpoint: '127.0.0.1:9101', protocol: 'http', regionId: 'ap-south-1' });
    expect(stsEndpoint(options)).toBe('127.0.0.1:9101');
  });
});
