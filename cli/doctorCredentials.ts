// Where doctor gets its keys and endpoints: as `s` does (an alias of ~/.s/access.yaml, or ALIBABA_CLOUD_* variables),
// or, with --local, from the local stack's stack.json.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { UsageError } from './io';

export interface AccountKeys {
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/**
 * One alias of `~/.s/access.yaml` (S_HOME moves `~/.s`): `s config add` writes `<alias>: {AccountID, AccessKeyID,
 * AccessKeySecret}` (alibabacloud.com/help/en/functioncompute/configure-serverless-devs, "s config get" output).
 */
export function accessAlias(command: string, alias: string, env: NodeJS.ProcessEnv): AccountKeys {
  const file = path.join(env.S_HOME || path.join(homedir(), '.s'), 'access.yaml');
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`${command}: cannot read \`${file}\` for alias \`${alias}\`: ${(error as { code?: string }).code === 'ENOENT' ? 'no such file (run `s config add`)' : 'not valid yaml'}`);
  }
  const entry = (doc as Record<string, Record<string, unknown> | undefined> | null)?.[alias];
  const field = (name: string) => (typeof entry?.[name] === 'string' || typeof entry?.[name] === 'number' ? String(entry[name]) : '');
  const keys = { accountId: field('AccountID'), accessKeyId: field('AccessKeyID'), accessKeySecret: field('AccessKeySecret') };
  const missing = Object.entries({ AccountID: keys.accountId, AccessKeyID: keys.accessKeyId, AccessKeySecret: keys.accessKeySecret }).filter(([, v]) => !v).map(([k]) => k);
  if (!entry) throw new UsageError(`${command}: no alias \`${alias}\` in \`${file}\` (\`s config add -a ${alias}\`)`);
  if (missing.length > 0) throw new UsageError(`${command}: alias \`${alias}\` in \`${file}\` has no ${missing.join(', ')}`);
  return keys;
}

/** ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (/ _SECURITY_TOKEN) and ALIBABA_CLOUD_ACCOUNT_ID, the names `s` reads too. */
export function envKeys(command: string, env: NodeJS.ProcessEnv): AccountKeys | undefined {
  const accessKeyId = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId && !accessKeySecret) return undefined;
  if (!accessKeyId || !accessKeySecret) throw new UsageError(`${command}: set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET`);
  if (!env.ALIBABA_CLOUD_ACCOUNT_ID) throw new UsageError(`${command}: set ALIBABA_CLOUD_ACCOUNT_ID (the data account's uid) with the access key variables`);
  return { accountId: env.ALIBABA_CLOUD_ACCOUNT_ID, accessKeyId, accessKeySecret, ...(env.ALIBABA_CLOUD_SECURITY_TOKEN ? { securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}) };
}

/** The part of the local stack's stack.json (local/start.ts writes StackInfo) doctor reads. */
export interface LocalStackFile {
  region: string;
  endpoints: { oss: string; api: string; fc: string };
  accounts: { data: { uid: string; accessKeyId: string; accessKeySecret: string }; media: { uid: string; accessKeyId: string; accessKeySecret: string } };
  bucket: string;
  apiToken: string;
}

export function readLocalStack(command: string, cwd: string, env: NodeJS.ProcessEnv): LocalStackFile {
  const dir = env.LOCAL_DIR ? path.resolve(cwd, env.LOCAL_DIR) : path.join(cwd, '.local');
  const file = path.join(dir, 'stack.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LocalStackFile;
  } catch {
    throw new UsageError(`${command}: cannot read \`${file}\`: start the local stack first (\`npm start\`), or set LOCAL_DIR`);
  }
}
