// `npm start`: the offline cloud on 127.0.0.1, seeded with the demo scenario. Object data survives
// restarts under .local/data/; .local/stack.json tells any client where everything is.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { killChildren } from './imm';
import { startStack } from './stack';

async function main(): Promise<void> {
  const root = path.join(__dirname, '..');
  const port = Number(process.env.LOCAL_PORT ?? 9100);
  if (!Number.isInteger(port) || port < 0 || port > 65530) {
    console.error(`LOCAL_PORT must be an integer in [0, 65530], got \`${process.env.LOCAL_PORT}\``);
    process.exit(2);
  }
  // LOCAL_DIR moves state and stack.json elsewhere (tests run a second stack beside a developer's).
  const localDir = process.env.LOCAL_DIR ? path.resolve(process.env.LOCAL_DIR) : path.join(root, '.local');
  mkdirSync(path.join(localDir, 'data'), { recursive: true });
  const weboffice = {
    accessTokenTtlSeconds: positiveSeconds('LOCAL_WEBOFFICE_ACCESS_TTL_SECONDS'),
    refreshTokenTtlSeconds: positiveSeconds('LOCAL_WEBOFFICE_REFRESH_TTL_SECONDS'),
  };
  const deployEnv = readEnvFile(process.argv.slice(2));
  // Deployed from s.yaml as `s deploy` would: its pre-deploy action builds the bundles, and FC runs those.
  const stack = await startStack({ port, dataDir: path.join(localDir, 'data'), logLevel: process.env.LOG_LEVEL ?? 'info', weboffice, deployEnv, codeSource: 'bundle', runActions: true });
  const stackFile = path.join(localDir, 'stack.json');
  writePrivate(stackFile, `${JSON.stringify(stack.info, null, 2)}\n`);

  const { info } = stack;
  const d = info.accounts.data;
  // The banner often ends up in captured logs: it names where the secrets are, never the secrets themselves.
  const fromStackFile = (field: string) => `node -p "require('${stackFile}').${field}"`;
  const token = `$(${fromStackFile('apiToken')})`;
  process.stdout.write(
    [
      '',
      'imm-bridge local stack is up',
      `  OSS    ${info.endpoints.oss}   (bucket ${info.bucket}, owned by data account ${d.uid})`,
      `  STS    ${info.endpoints.sts}`,
      `  IMM    ${info.endpoints.imm}   (project ${info.immProject}, media account ${info.accounts.media.uid})`,
      `  MNS    topic ${stack.deploy.notifyTopic} (media account) → signed HTTP push to ${info.endpoints.api}/notifications/imm`,
      `  api    ${info.endpoints.api}`,
      `  FC     ${info.endpoints.fc}   (FC 3.0 GetFunction, ListTriggers, InvokeFunction; signed as @alicloud/fc2 signs)`,
      `  admin  ${info.endpoints.admin}   (curl -s ${info.endpoints.admin}/stats -H "x-admin-key: $(${fromStackFile('adminKey')})")`,
      `  keys and endpoints: ${path.relative(process.cwd(), stackFile) || stackFile} (mode 0600)`,
      `  api token ${info.apiToken.slice(0, 4)}… (the whole one: ${fromStackFile('apiToken')})`,
      '',
      'Upload a JPEG (here ./photo.jpg) as the partner (data account) with ali-oss:',
      `  node -e "const OSS=require('ali-oss');const s=require('${stackFile}');new OSS({endpoint:s.endpoints.oss,sldEnable:true,bucket:s.bucket,accessKeyId:s.accounts.data.accessKeyId,accessKeySecret:s.accounts.data.accessKeySecret}).put('incoming/photo.jpg','photo.jpg').then(()=>console.log('uploaded'))"`,
      `then read the sidecar results/incoming/photo.jpg.json the same way (client.get), or score over HTTP:`,
      `  curl -s -X POST ${info.endpoints.api}/images/score -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"uri":"oss://${info.bucket}/incoming/photo.jpg"}'`,
      'A video or a PDF uploaded under incoming/ gets a `submitted` sidecar that turns `succeeded` when IMM is done.',
      'Preview an uploaded PDF in a browser: POST /documents/preview, then open `<url>&access_token=<accessToken>`:',
      `  curl -s -X POST ${info.endpoints.api}/documents/preview -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '{"uri":"oss://${info.bucket}/incoming/report.pdf"}'`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  // One Ctrl-C often arrives more than once: the terminal signals the whole group, and npm and tsx forward it
  // to their child as well. Signals within this window count as the same Ctrl-C.
  const REPEAT_WINDOW_MS = 2000;
  let stoppingSince: number | undefined;
  const stop = () => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < REPEAT_WINDOW_MS) return;
      // A second Ctrl-C: stop now. Running IMM tasks are lost (their sidecars stay `submitted`), and their
      // processes, which a Ctrl-C no longer reaches, are killed.
      const killed = killChildren();
      rmSync(stackFile, { force: true });
      process.stdout.write(`stopped without waiting${killed ? ` (${killed} media process(es) killed)` : ''}\n`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stdout.write('stopping: letting running IMM tasks finish and their results reach the sidecars (Ctrl-C again to stop now)…\n');
    stack
      .close()
      .then(() => {
        // The keys in it die with this run.
        rmSync(stackFile, { force: true });
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error(`stopping failed: ${(error as Error)?.message ?? error}`);
        killChildren();
        rmSync(stackFile, { force: true });
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * Writes a file only its owner can read (it holds both accounts' admin keys, the API token and the admin key):
 * a fresh 0600 file renamed over the old one, so an existing stack.json that was 0644 never keeps its mode.
 */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  // The umask can only remove bits from 0600, but a file system that ignores the mode on create still gets it.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * `--env-file FILE`: the variables s.yaml's `${env('NAME')}` reads, as the shell of `s deploy` would hold them
 * (local.env.example lists them). Without it the local stack's own values apply.
 */
function readEnvFile(args: string[]): Record<string, string> {
  const unknown = args.filter((a, i) => a !== '--env-file' && args[i - 1] !== '--env-file' && !a.startsWith('--env-file='));
  if (unknown.length > 0) {
    console.error(`unknown argument \`${unknown[0]}\`: npm start takes only \`-- --env-file <file>\``);
    process.exit(2);
  }
  const flag = args.findIndex((a) => a === '--env-file' || a.startsWith('--env-file='));
  if (flag < 0) return {};
  const file = args[flag].includes('=') ? args[flag].split('=').slice(1).join('=') : args[flag + 1];
  if (!file || !existsSync(file)) {
    console.error(`--env-file: \`${file ?? ''}\` does not exist (copy local.env.example to start one)`);
    process.exit(2);
  }
  return parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
}

/** An optional whole number of seconds from the environment; a bad value stops the start with a clear message. */
function positiveSeconds(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 7 * 86400) {
    console.error(`${name} must be a whole number of seconds in [1, 604800], got \`${raw}\``);
    process.exit(2);
  }
  return value;
}

main().catch((error: unknown) => {
  // An s.yaml mistake lists every field at fault, as `s deploy` or FC would refuse it.
  console.error(`local stack failed to start: ${(error as Error)?.message ?? error}`);
  process.exit(1);
});
