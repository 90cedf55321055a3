// Composes the offline cloud: RAM, OSS, STS, IMM, MNS topics, the three functions and the admin endpoint,
// seeded with the DESIGN §1 scenario from the policies that `policy generate` writes.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { generatePolicies, IMM_OPERATIONS, mnsHttpSubscription, type DeployConfig } from '../shared/policy/generate';
import { startAdmin } from './admin';
import { FcRunner, type Handler } from './fc';
import { createImmEmulator, type WebofficeTokenLifetimes } from './imm';
import { taskMessage } from './imm/notification';
import { createSigningCertificate, HttpPusher, MnsTopics } from './mns';
import { createOssEmulator } from './oss';
import { Ram } from './ram';
import type { RunningServer } from './server';
import { createStsEmulator } from './sts';
import { Telemetry } from './telemetry';

/** The contents of `.local/stack.json` (DESIGN §3.4). */
export interface StackInfo {
  region: string;
  endpoints: { oss: string; sts: string; imm: string; api: string; admin: string };
  accounts: {
    data: { uid: string; accessKeyId: string; accessKeySecret: string };
    media: { uid: string; accessKeyId: string; accessKeySecret: string };
  };
  bucket: string;
  immProject: string;
  roleArn: string;
  apiToken: string;
}

export interface StackOptions {
  /** Base port: OSS on it, then STS, IMM, api and admin on the next four. 0 picks free ports. */
  port?: number;
  host?: string;
  dataDir: string;
  /** Log level and sink for the functions' JSON logs. */
  logLevel?: string;
  logDestination?: { write(line: string): void };
  retryDelaysMs?: number[];
  /** Deliver every OSS event, topic message and MNS push this many times (at-least-once delivery, for tests). */
  deliveryCopies?: number;
  /** Function timeout in seconds (FC context `function.timeout`), default 60. */
  functionTimeoutSeconds?: number;
  /** Overrides of the functions' environment, e.g. a wrong IMM_ROLE_EXTERNAL_ID in a test. */
  functionEnv?: Record<string, string>;
  /**
   * Where the functions are loaded from: `functions/` (TypeScript source, the default) or a build output such
   * as `dist/`, whose `<name>/index.js` bundles are what FC runs.
   */
  functionsDir?: string;
  /** WebOffice preview token lifetimes of the local IMM (default 30 minutes and 1 day, as in the cloud). */
  weboffice?: WebofficeTokenLifetimes;
}

export interface Stack {
  info: StackInfo;
  deploy: DeployConfig;
  ram: Ram;
  telemetry: Telemetry;
  runner: FcRunner;
  oss: ReturnType<typeof createOssEmulator>;
  /** Environment the functions run with. */
  functionEnv: Record<string, string>;
  /** Resolves once every OSS event emitted so far has been delivered (retries included): tests never sleep. */
  settled(): Promise<void>;
  /**
   * Resolves once nothing is left in flight: OSS deliveries, the IMM tasks they started, and the task
   * notifications MNS pushes to the api (so an upload's sidecar is final).
   */
  quiescent(): Promise<void>;
  topics: MnsTopics;
  /** Stops at once without waiting for deliveries, as a crash would; queued events stay on disk. */
  crash(): Promise<void>;
  /** Replaces every function with a fresh container (a cold start), optionally with other env values. */
  redeploy(envOverrides?: Record<string, string>): void;
  close(): Promise<void>;
}

export const DEMO = {
  region: 'cn-hangzhou',
  dataAccountId: '1000000000000001',
  mediaAccountId: '2000000000000002',
  bucket: 'test-bucket-2024',
  immProject: 'immtest',
  operatorRoleName: 'imm-bridge-operator',
  functionRoleName: 'imm-bridge-fn',
  inputPrefix: 'incoming/',
  resultsPrefix: 'results/',
  outputPrefix: 'converted/',
  /** The media account's MNS topic IMM publishes task results to; its HTTP subscription pushes to the api. */
  notifyTopic: 'imm-bridge-task-done',
} as const;

// ---- MNS HTTP push (issue 10 D) ----
/** The account that owns the `mnstest` bucket MNS serves its signing certificate from (not the user's). */
const MNS_SERVICE_ACCOUNT_ID = '1999999999999999';
const MNS_CERT_BUCKET = 'mnstest';
// ---- end MNS HTTP push ----

const ADMIN_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
// What the system policy AliyunIMMDefaultRolePolicy amounts to for OSS in the media account itself.
const IMM_SERVICE_ROLE_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: '*' }] };
const IMM_SERVICE_ROLE_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };

type FunctionModule = { createHandler(options: { env: Record<string, string>; logDestination?: { write(line: string): void } }): Handler };

/** Loads a function the way FC loads `code` + `handler`: by path, at run time, never bundled into local/. */
function loadFunction(name: string, dir = path.join(__dirname, '..', 'functions')): FunctionModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(dir, name)) as FunctionModule;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const portFor = (offset: number) => (options.port ? options.port + offset : 0);
  const telemetry = new Telemetry();
  const ram = new Ram(telemetry);
  const deploy: DeployConfig = {
    ...DEMO,
    operations: [...IMM_OPERATIONS],
    notifyTopic: DEMO.notifyTopic,
    externalId: `imm-bridge-${randomBytes(8).toString('hex')}`,
  };
  const policies = generatePolicies(deploy);

  ram.addAccount(deploy.dataAccountId, 'data');
  ram.addAccount(deploy.mediaAccountId, 'media');
  const dataAdmin = ram.addUser(deploy.dataAccountId, 'admin', [ADMIN_POLICY]);
  const mediaAdmin = ram.addUser(deploy.mediaAccountId, 'admin', [ADMIN_POLICY]);
  const functionRole = ram.addRole(deploy.dataAccountId, deploy.functionRoleName, policies.functionRoleTrustPolicy, [policies.functionRolePolicy]);
  const operatorRole = ram.addRole(deploy.mediaAccountId, deploy.operatorRoleName, policies.operatorTrustPolicy, [policies.operatorRolePolicy]);
  // IMM's service role: OSS in its own account, plus what `policy generate` says it needs to publish task results.
  ram.addRole(deploy.mediaAccountId, 'AliyunIMMDefaultRole', IMM_SERVICE_ROLE_TRUST, [IMM_SERVICE_ROLE_POLICY, ...(policies.immServiceRolePolicy ? [policies.immServiceRolePolicy] : [])]);

  const servers: RunningServer[] = [];
  const closeAll = async () => {
    await Promise.allSettled(servers.reverse().map((s) => s.close()));
  };
  try {
    const runnerRef: { current?: FcRunner } = {};
    const oss = createOssEmulator({
      ram,
      telemetry,
      dataDir: options.dataDir,
      region: deploy.region,
      onObjectCreated: (record) => runnerRef.current?.deliverOssEvent(record),
    });
    const ossServer = await oss.start(portFor(0), host);
    servers.push(ossServer);
    const ossEndpoint = `http://localhost:${ossServer.port}`;
    await oss.buckets.create(deploy.bucket, deploy.dataAccountId);
    await oss.buckets.setPolicy(deploy.bucket, policies.bucketPolicy);
    // ---- MNS HTTP push: MNS's certificate, public-read in its own account's `mnstest` bucket, as in the cloud ----
    const mnsCertificate = createSigningCertificate();
    ram.addAccount(MNS_SERVICE_ACCOUNT_ID, 'mns');
    await oss.buckets.create(MNS_CERT_BUCKET, MNS_SERVICE_ACCOUNT_ID);
    await oss.objects.put(MNS_CERT_BUCKET, mnsCertificate.fileName, Buffer.from(mnsCertificate.pem), { contentType: 'application/x-pem-file', acl: 'public-read' });
    const mnsCertPrefix = `${ossEndpoint}/${MNS_CERT_BUCKET}/`;
    const pusher = new HttpPusher({ telemetry, privateKey: mnsCertificate.privateKey, certificateUrl: `${mnsCertPrefix}${mnsCertificate.fileName}`, retryDelaysMs: options.retryDelaysMs, copies: options.deliveryCopies });
    // ---- end MNS HTTP push ----

    const sts = createStsEmulator({ ram, telemetry, region: deploy.region });
    const stsServer = await sts.start(portFor(1), host);
    servers.push(stsServer);

    const topics = new MnsTopics({ telemetry, ram, region: deploy.region, pusher, deliver: (fn, payload, label) => runnerRef.current?.deliverAsync(fn, payload, label) });
    topics.createTopic(deploy.mediaAccountId, DEMO.notifyTopic);
    const imm = createImmEmulator({
      ram,
      telemetry,
      region: deploy.region,
      sts: sts.service,
      ossEndpoint,
      weboffice: options.weboffice,
      // IMM publishes a finished task's result, as the project's service role, to the topic its Notification names
      // in the project owner's account. A refusal loses the notification (the emulator logs it), as in the cloud.
      onTaskDone: async (notification, task, project) => {
        if (!notification.MNS) return;
        const serviceRole = `acs:ram::${project.accountId}:role/${project.serviceRole}`;
        const identity = await sts.service.assumeRoleAsService('imm.aliyuncs.com', serviceRole, 'imm-service');
        const message = taskMessage(task, project, deploy.region, Date.now(), randomUUID().toUpperCase());
        topics.publish(identity.caller, project.accountId, notification.MNS.TopicName, JSON.stringify(message));
      },
    });
    imm.projects.create(deploy.mediaAccountId, deploy.immProject);
    const immServer = await imm.start(portFor(2), host);
    servers.push(immServer);

    const runner = new FcRunner({
      telemetry,
      region: deploy.region,
      accountId: deploy.dataAccountId,
      retryDelaysMs: options.retryDelaysMs,
      deliveryCopies: options.deliveryCopies,
      queueDir: path.join(options.dataDir, 'fc-queue'),
      assumeRole: (roleArn, sessionName) => sts.service.assumeRoleAsService('fc.aliyuncs.com', roleArn, sessionName, 3600),
    });
    runnerRef.current = runner;

    const apiToken = randomBytes(24).toString('base64url');
    const functionEnv: Record<string, string> = {
      IMM_PROJECT: deploy.immProject,
      IMM_ROLE_ARN: operatorRole.arn,
      IMM_ROLE_EXTERNAL_ID: deploy.externalId,
      REGION: deploy.region,
      ALLOWED_BUCKETS: deploy.bucket,
      INPUT_PREFIX: deploy.inputPrefix,
      RESULTS_PREFIX: deploy.resultsPrefix,
      OUTPUT_PREFIX: deploy.outputPrefix,
      API_TOKENS_SHA256: createHash('sha256').update(apiToken).digest('hex'),
      STS_ENDPOINT: `http://${host}:${stsServer.port}`,
      IMM_ENDPOINT: `http://${host}:${immServer.port}`,
      OSS_ENDPOINT: ossEndpoint,
      IMM_NOTIFY_TOPIC: DEMO.notifyTopic,
      MNS_CERT_URL_PREFIXES: mnsCertPrefix,
      LOG_LEVEL: options.logLevel ?? 'info',
      ...options.functionEnv,
    };
    const deployFunctions = (env: Record<string, string>) => {
      for (const name of ['on-upload', 'api', 'on-task-done']) {
        const handler = loadFunction(name, options.functionsDir).createHandler({ env, logDestination: options.logDestination });
        runner.deploy({ name, roleArn: functionRole.arn, handler, timeoutSeconds: options.functionTimeoutSeconds });
      }
    };
    deployFunctions(functionEnv);
    runner.addOssTrigger({ functionName: 'on-upload', bucket: deploy.bucket, events: ['oss:ObjectCreated:*'], prefix: deploy.inputPrefix, suffix: '' });
    const apiServer = await runner.startHttpTrigger('api', portFor(3), host);
    servers.push(apiServer);
    // ---- MNS HTTP push: the media account's topic pushes task results to the api (no cross-account trigger) ----
    const subscription = mnsHttpSubscription({ ...deploy, notifyTopic: DEMO.notifyTopic, apiUrl: `http://${host}:${apiServer.port}` });
    topics.subscribe({
      topicOwner: subscription.TopicOwner,
      topicName: subscription.TopicName,
      subscriptionName: subscription.SubscriptionName,
      endpoint: subscription.Endpoint,
      notifyContentFormat: subscription.NotifyContentFormat,
      notifyStrategy: subscription.NotifyStrategy,
    });
    // ---- end MNS HTTP push ----
    // Events accepted before a restart (or a crash) are delivered now, once the api can take task results.
    runner.resume();
    const adminServer = await startAdmin(telemetry, portFor(4), host);
    servers.push(adminServer);

    const info: StackInfo = {
      region: deploy.region,
      endpoints: {
        oss: ossEndpoint,
        sts: `${host}:${stsServer.port}`,
        imm: `${host}:${immServer.port}`,
        api: `http://${host}:${apiServer.port}`,
        admin: `http://${host}:${adminServer.port}`,
      },
      accounts: {
        data: { uid: deploy.dataAccountId, accessKeyId: dataAdmin.accessKeyId, accessKeySecret: dataAdmin.accessKeySecret },
        media: { uid: deploy.mediaAccountId, accessKeyId: mediaAdmin.accessKeyId, accessKeySecret: mediaAdmin.accessKeySecret },
      },
      bucket: deploy.bucket,
      immProject: deploy.immProject,
      roleArn: operatorRole.arn,
      apiToken,
    };
    const settled = async () => {
      // The OSS emulator hands events over on the next turn of the event loop, after its response.
      await new Promise((resolve) => setImmediate(resolve));
      await runner.idle();
    };
    const quiescent = async () => {
      // Deliveries start tasks, finished tasks publish notifications, notifications are deliveries: loop until still.
      for (;;) {
        await settled();
        await imm.tasks.idle();
        await topics.idle();
        await new Promise((resolve) => setImmediate(resolve));
        if (!runner.busy && !topics.busy) return;
      }
    };
    return {
      info,
      deploy,
      topics,
      quiescent,
      ram,
      telemetry,
      runner,
      oss,
      functionEnv,
      settled,
      redeploy: (envOverrides = {}) => deployFunctions({ ...functionEnv, ...envOverrides }),
      close: async () => {
        // IMM tasks still running, and their notifications, would reach servers about to close.
        await quiescent();
        await closeAll();
      },
      crash: async () => {
        runner.stop();
        pusher.stop();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
