// Calling the emulators exactly as the Alibaba SDKs do, and reading their rejections.
import OpenApi, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import { RuntimeOptions } from '@darabonba/typescript';

export interface SdkCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** What openapi-core throws: the code, the status and the error body. */
export interface SdkError {
  code?: string;
  statusCode?: number;
  data?: { Code?: string; Message?: string; RequestId?: string; HostId?: string; Recommend?: string };
}

/** The SDK's rejection, for asserting on code, status and the body's Message; fails if the call succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('the call succeeded');
}

/** An IMM RPC call exactly as the generated IMM SDK sends it (reference/imm-sts.md §1.2). */
export async function callImmRpc(port: number, credentials: SdkCredentials, action: string, query: Record<string, string>, region = 'cn-hangzhou'): Promise<{ statusCode?: number; body: Record<string, unknown> }> {
  const client = new OpenApi(new $OpenApiUtil.Config({ ...credentials, regionId: region, endpoint: `127.0.0.1:${port}`, protocol: 'http' }));
  const params = new $OpenApiUtil.Params({ action, version: '2020-09-30', protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
  return (await client.callApi(params, new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) }), new RuntimeOptions({}))) as { statusCode?: number; body: Record<string, unknown> };
}
