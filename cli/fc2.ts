// `@alicloud/fc2` 2.6.6 as the fc3 component uses it for FC 3.0 (reference/deploy.md §5; devsapp/fc3
// src/resources/fc/impl/client.ts `fc2Client`, src/resources/fc/index.ts `client.version = '2023-03-30'`): an FC2
// client whose version is switched to 2023-03-30, so that its raw get/post reach FC 3.0 paths (`/functions/...`).
// The package ships no types; this is the part of its surface (lib/client.js) doctor uses.

export interface Fc2Response<T = unknown> {
  headers: Record<string, string | string[] | undefined>;
  data: T;
}

export interface Fc2Client {
  version: string;
  get<T = unknown>(path: string, query?: Record<string, string> | null, headers?: Record<string, string>): Promise<Fc2Response<T>>;
}

interface Fc2Module {
  new (accountId: string, config: { accessKeyID: string; accessKeySecret: string; securityToken?: string; region: string; endpoint?: string; secure?: boolean; timeout?: number }): Fc2Client;
}

export interface Fc3Target {
  accountId: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** Without it fc2 addresses `https://<accountId>.<region>.fc.aliyuncs.com` (lib/client.js). */
  endpoint?: string;
}

export function fc3Client(target: Fc3Target): Fc2Client {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const FC2 = require('@alicloud/fc2') as Fc2Module;
  const client = new FC2(target.accountId, {
    accessKeyID: target.accessKeyId,
    accessKeySecret: target.accessKeySecret,
    securityToken: target.securityToken,
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : { secure: true }),
    timeout: 30_000,
  });
  client.version = '2023-03-30';
  return client;
}

/** fc2 throws `Error('<METHOD> <path> failed with <status>. requestid: …, message: ….')`, with `code` set from FC's body. */
export function fc2ErrorInfo(error: unknown): { status: number; code: string; message: string } {
  const message = String((error as Error)?.message ?? error);
  const code = String((error as { code?: unknown })?.code ?? '');
  return { status: Number(/failed with (\d{3})/.exec(message)?.[1] ?? 0), code, message };
}
