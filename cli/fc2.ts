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
  post<T = unknown>(path: string, body: string | Buffer | object, headers?: Record<string, string>, queries?: Record<string, string> | null): Promise<Fc2Response<T>>;
}

export interface Fc2Config {
  accessKeyID: string;
  accessKeySecret: string;
  securityToken?: string;
  region: string;
  endpoint?: string;
  secure?: boolean;
  timeout?: number;
  /** Sent with every request (lib/client.js merges them over its own headers before signing). */
  headers?: Record<string, string>;
}

export interface Fc2Module {
  new (accountId: string, config: Fc2Config): Fc2Client;
  /** fc2's own signer (lib/client.js); the tests use it as the oracle for the local FC's verifier. */
  getSignature(accessKeyID: string, accessKeySecret: string, method: string, path: string, headers: Record<string, string | number>, queries: Record<string, string> | null): string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const FC2 = (): Fc2Module => require('@alicloud/fc2') as Fc2Module;

export interface Fc3Target {
  accountId: string;
  region: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** Without it fc2 addresses `https://<accountId>.<region>.fc.aliyuncs.com` (lib/client.js). */
  endpoint?: string;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export function fc3Client(target: Fc3Target): Fc2Client {
  const Client = FC2();
  const client = new Client(target.accountId, {
    accessKeyID: target.accessKeyId,
    accessKeySecret: target.accessKeySecret,
    securityToken: target.securityToken,
    region: target.region,
    ...(target.endpoint ? { endpoint: target.endpoint } : { secure: true }),
    ...(target.headers ? { headers: target.headers } : {}),
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
