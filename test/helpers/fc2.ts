// `@alicloud/fc2` 2.6.6 as fc3 uses it for FC 3.0 (reference/deploy.md §5; devsapp/fc3 src/resources/fc/impl/client.ts
// `fc2Client`, src/resources/fc/index.ts `client.version = '2023-03-30'`): an FC2 client with an endpoint, whose
// version is switched to 2023-03-30 so that its raw get/post reach FC 3.0 paths (`/functions/...`, no services).
// The package ships no types; this is the part of its surface the tests use (lib/client.js).
import type { StackInfo } from '../../local/stack';

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
  getSignature(accessKeyID: string, accessKeySecret: string, method: string, path: string, headers: Record<string, string | number>, queries: Record<string, string> | null): string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const FC2 = require('@alicloud/fc2') as Fc2Module;

/** An FC 3.0 client for the local FC API, signed with one of stack.json's admin keys, addressed to `accountId` (default: the data account). */
export function fc3Client(info: StackInfo, account: 'data' | 'media' = 'data', extra: Partial<Fc2Config> = {}, accountId = info.accounts.data.uid): Fc2Client {
  const key = info.accounts[account];
  const client = new FC2(accountId, { accessKeyID: key.accessKeyId, accessKeySecret: key.accessKeySecret, region: info.region, endpoint: info.endpoints.fc, timeout: 30_000, ...extra });
  client.version = '2023-03-30';
  return client;
}

/** fc2 throws `Error('<METHOD> <path> failed with <status>. requestid: …, message: ….')`; the status is only in the message. */
export async function fc2Failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const message = String((error as Error).message);
    return { status: Number(/failed with (\d{3})/.exec(message)?.[1] ?? 0), message };
  }
  throw new Error('the call succeeded');
}
