// The local FC API through `@alicloud/fc2`, as doctor calls it (cli/fc2.ts), with stack.json's keys.
import { FC2 as loadFc2, fc2ErrorInfo, fc3Client as cliFc3Client, type Fc2Client, type Fc3Target } from '../../cli/fc2';
import type { StackInfo } from '../../local/stack';

export type { Fc2Client } from '../../cli/fc2';

/** fc2's module: its signer is the oracle for the local FC's signature check. */
export const FC2 = loadFc2();

/** An FC 3.0 client for the local FC API, signed with one of stack.json's admin keys, addressed to `accountId` (default: the data account). */
export function fc3Client(info: StackInfo, account: 'data' | 'media' = 'data', extra: Partial<Fc3Target> = {}, accountId = info.accounts.data.uid): Fc2Client {
  const key = info.accounts[account];
  return cliFc3Client({ accountId, region: info.region, accessKeyId: key.accessKeyId, accessKeySecret: key.accessKeySecret, endpoint: info.endpoints.fc, ...extra });
}

/** The HTTP status and message of a call that must fail (fc2 puts the status only in its message). */
export async function fc2Failure(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call;
  } catch (error) {
    const { status, message } = fc2ErrorInfo(error);
    return { status, message };
  }
  throw new Error('the call succeeded');
}
