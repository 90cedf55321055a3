// Composes the offline cloud: RAM, OSS, STS, IMM, MNS topics and the admin endpoint, seeded with the DESIGN §1
// scenario from the policies that `policy generate` writes; then deploys s.yaml into the local FC, as `s deploy`
// would (local/deploy.ts). What runs is what s.yaml declares: its functions, handlers, code, timeouts, roles,
// environment and triggers.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { generatePolicies, IMM_OPERATIONS, mnsHttpSubscription, type DeployConfig } from '../shared/policy/generate';
import { createAcs3Verifier } from './acs3';
import { startAdmin } from './admin';
import { deployFromSYaml, type CodeSource, type DeployResult } from './deploy';
import { FcRunner } from './fc';
import { startFcApi } from './fcApi';
import { createImmEmulator, type WebofficeTokenLifetimes } from './imm';
import { taskMessage } from './imm/notification';
import { createSigningCertificate, HttpPusher, MnsTopics } from './mns';
import { createOssEmulator } from './oss';
import { Ram } from './ram';
import type { RunningServer } from './server';
import { createStsEmulator } from './sts';
import { loadDeployment } from './sYaml';
import { Telemetry } from './telemetry';

/** The contents of `.local/stack.json` (DESIGN §3.4). */
export interface StackInfo {
  region: string;
  /** `fc`: the FC 3.0 control API (GetFunction, ListTriggers, InvokeFunction), signed as `@alicloud/fc2` signs. */
  endpoints: { oss: string; sts: string; imm: string; api: string; admin: string; fc: string };
  accounts: {
    data: { uid: string; accessKeyId: string; accessKeySecret: string };
    media: { uid: string; accessKeyId: string; accessKeySecret: string };
  };
  bucket: string;
  immProject: string;
  roleArn: string;
  apiToken: string;
  /** What the admin endpoint wants in its `x-admin-key` header; random per run. */
  adminKey: string;
}

export interface StackOptions {
  /** Base port: OSS on it, then STS, IMM, api, admin and the FC API on the next five. 0 picks free ports. */
  port?: number;
  host?: string;
  dataDir: string;
  /** Log level and sink for the functions' JSON logs. */
  logLevel?: string;
  logDestination?: { write(line: string): void };
  retryDelaysMs?: number[];
  /** Deliver every OSS event, topic message and MNS push this many times (at-least-once delivery, for tests). */
  deliveryCopies?: number;
  /** The s.yaml to deploy (default: the project's own). */
  sYamlPath?: string;
  /** s.yaml's text, instead of reading sYamlPath (tests deploy mutated copies); paths stay relative to sYamlPath's folder. */
  sYamlText?: string;
  /**
   * Variables for s.yaml's `${env('NAME')}`, as the shell of `s deploy` would hold them (`npm start -- --env-file`).
   * They override the local cloud's own values (the operator role, ExternalId, token hash, bucket…), so a wrong
   * value fails locally as it would in the cloud. The shell's own environment is not read.
   */
  deployEnv?: Record<string, string>;
  /** Deliberate changes to every function's environment on top of s.yaml's, e.g. a wrong IMM_ROLE_EXTERNAL_ID in a test. */
  functionEnv?: Record<string, string>;
  /** `source` (default): functions/<name>/index.ts for `code: ./dist/<name>`; `bundle`: the build output itself. */
  codeSource?: CodeSource;
  /** Folder the `code` paths resolve against (default: s.yaml's); the bundle test builds elsewhere. */
  codeRoot?: string;
  /** Run s.yaml's `actions: pre-deploy` (the build) before deploying, as `s deploy` does. */
  runActions?: boolean;
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
  /** Environment the functions run with (on-upload's; every function gets the same s.yaml vars). */
  functionEnv: Record<string, string>;
  /** What s.yaml deployed: functions by resource name, their environments, the HTTP triggers. */
  deployment: DeployResult;
  /** The FC function name s.yaml gives a resource, e.g. `on-upload` → `imm-bridge-on-upload`. */
  functionName(resource: string): string;
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
  /** The media account's MNS topic IMM publishes task results to. */
  notifyTopic: 'imm-bridge-task-done',
} as const;

/** The project's s.yaml, which `npm start` and the tests deploy. */
export const PROJECT_S_YAML = path.join(__dirname, '..', 's.yaml');

// ---- MNS HTTP push (issue 10 D) ----
/** The account that owns the `mnstest` bucket MNS serves its signing certificate from (not the user's). */
const MNS_SERVICE_ACCOUNT_ID = '1999999999999999';
const MNS_CERT_BUCKET = 'mnstest';
// ---- end MNS HTTP push ----

/** How long close() waits for MNS pushes still being retried after every task has finished. */
const CLOSE_PUSH_WAIT_MS = 5000;

const ADMIN_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
// What the system policy AliyunIMMDefaultRolePolicy amounts to for OSS in the media account itself.
const IMM_SERVICE_ROLE_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:*'], Resource: '*' }] };
const IMM_SERVICE_ROLE_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] };

// The roles FC's event sources invoke through. They exist in an account once its owner has used the service's
// trigger; fc3 never creates a role it is given (reference/deploy.md §5), so the seed creates them as a user would.
const OSS_EVENT_ROLE_TRUST = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['oss.aliyuncs.com'] } }] };
const FC_INVOKE_POLICY = { Version: '1', Statement: [{ Effect: 'Allow', Action: 'fc:InvokeFunction', Resource: '*' }] };

export async function startStack(options: StackOptions): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const portFor = (offset: number) => (options.port ? options.port + offset : 0);
  const telemetry = new Telemetry();
  const ram = new Ram(telemetry);
  const deployEnv = options.deployEnv ?? {};
  const externalId = `imm-bridge-${randomBytes(8).toString('hex')}`;
  const apiToken = randomBytes(24).toString('base64url');
  const sYamlPath = options.sYamlPath ?? PROJECT_S_YAML;
  // What a user exports before `s deploy` in this scenario, overridden by the env file; s.yaml is read first, so
  // the cloud resources seeded below (bucket, project, topic, prefixes) are the ones its functions will name.
  const bucket = deployEnv.BUCKET || DEMO.bucket;
  const sYamlEnv: Record<string, string> = {
    REGION: DEMO.region,
    BUCKET: bucket,
    ALLOWED_BUCKETS: bucket,
    IMM_PROJECT: DEMO.immProject,
    IMM_ROLE_ARN: `acs:ram::${DEMO.mediaAccountId}:role/${DEMO.operatorRoleName}`,
    IMM_ROLE_EXTERNAL_ID: externalId,
    IMM_NOTIFY_TOPIC: DEMO.notifyTopic,
    API_TOKENS_SHA256: createHash('sha256').update(apiToken).digest('hex'),
    ...deployEnv,
  };
  const deployment = loadDeployment(options.sYamlText ?? readFileSync(sYamlPath, 'utf8'), { env: sYamlEnv, accountId: DEMO.dataAccountId });
  const fnEnv = deployment.functions[0]?.environment ?? {};
  const notifyTopic = fnEnv.IMM_NOTIFY_TOPIC || DEMO.notifyTopic;
  const deploy: DeployConfig = {
    ...DEMO,
    region: fnEnv.REGION || DEMO.region,
    bucket,
    immProject: fnEnv.IMM_PROJECT || DEMO.immProject,
    inputPrefix: fnEnv.INPUT_PREFIX || DEMO.inputPrefix,
    resultsPrefix: fnEnv.RESULTS_PREFIX || DEMO.resultsPrefix,
    outputPrefix: fnEnv.OUTPUT_PREFIX || DEMO.outputPrefix,
    operations: [...IMM_OPERATIONS],
    notifyTopic,
    // The ExternalId the operator role's trust policy agrees on; a different IMM_ROLE_EXTERNAL_ID in the env file
    // is then the user's mistake, and fails like one.
    externalId,
  };
  const policies = generatePolicies(deploy);

  ram.addAccount(deploy.dataAccountId, 'data');
  ram.addAccount(deploy.mediaAccountId, 'media');
  const dataAdmin = ram.addUser(deploy.dataAccountId, 'admin', [ADMIN_POLICY]);
  const mediaAdmin = ram.addUser(deploy.mediaAccountId, 'admin', [ADMIN_POLICY]);
  ram.addRole(deploy.dataAccountId, deploy.functionRoleName, policies.functionRoleTrustPolicy, [policies.functionRolePolicy]);
  ram.addRole(deploy.dataAccountId, 'aliyunosseventnotificationrole', OSS_EVENT_ROLE_TRUST, [FC_INVOKE_POLICY]);
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
    topics.createTopic(deploy.mediaAccountId, notifyTopic);
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

    // FC's gateway verifies an `authType: function` request's ACS3 signature, then whether the signer may invoke.
    const triggerVerifier = createAcs3Verifier({ ram, alwaysSigned: ['host', 'x-acs-content-sha256', 'x-acs-date'] });
    const deployed = await deployFromSYaml(deployment, {
      runner,
      ram,
      accountId: deploy.dataAccountId,
      region: deploy.region,
      bucketOwner: async (name) => (await oss.buckets.get(name))?.ownerUid,
      topics,
      rootDir: options.codeRoot ?? path.dirname(sYamlPath),
      codeSource: options.codeSource ?? 'source',
      runActions: options.runActions ?? false,
      environmentOverlay: {
        STS_ENDPOINT: `http://${host}:${stsServer.port}`,
        IMM_ENDPOINT: `http://${host}:${immServer.port}`,
        OSS_ENDPOINT: ossEndpoint,
        // The local MNS signs with a certificate served by the local OSS; in the cloud the default prefix applies.
        MNS_CERT_URL_PREFIXES: mnsCertPrefix,
        LOG_LEVEL: options.logLevel ?? 'info',
        ...options.functionEnv,
      },
      logDestination: options.logDestination,
      authenticateHttp: (request) => {
        const verdict = triggerVerifier.verify(request);
        if (!verdict.ok) return { ok: false, code: verdict.error.code, message: verdict.error.message };
        // Then the signer's right to invoke: fc:InvokeFunction on the function, by its own account's policies (FC
        // functions have no resource policy, so another account's key is refused).
        const resource = `acs:fc:${deploy.region}:${deploy.dataAccountId}:functions/${request.functionName}`;
        const decision = verdict.caller.accountId === deploy.dataAccountId ? ram.authorizeIdentity('fc', verdict.caller, 'fc:InvokeFunction', resource).decision : 'ImplicitDeny';
        if (decision !== 'Allow') return { ok: false, code: 'AccessDenied', message: `${verdict.caller.arn} may not fc:InvokeFunction on ${resource} (${decision})` };
        return { ok: true };
      },
    });
    const functionName = (resource: string): string => {
      const fn = deployed.functions.find((f) => f.resource === resource);
      if (!fn) throw new Error(`s.yaml declares no resource \`${resource}\``);
      return fn.functionName;
    };
    // The api's HTTP trigger gets the api port; a second HTTP trigger would take a free port.
    let apiServer: RunningServer | undefined;
    const httpTriggerUrls = new Map<string, string>();
    for (const trigger of deployed.httpTriggers) {
      const server = await runner.startHttpTrigger(trigger.functionName, apiServer ? 0 : portFor(3), host, trigger.options);
      servers.push(server);
      httpTriggerUrls.set(trigger.functionName, `http://${host}:${server.port}`);
      apiServer ??= server;
    }
    if (!apiServer) throw new Error('s.yaml declares no HTTP trigger: the api is unreachable');
    // ---- MNS HTTP push: the media account's topic pushes task results to the api (no cross-account trigger) ----
    const subscription = mnsHttpSubscription({ ...deploy, notifyTopic, apiUrl: `http://${host}:${apiServer.port}` });
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
    const adminKey = randomBytes(24).toString('base64url');
    const adminServer = await startAdmin({ telemetry, adminKey, port: portFor(4), host });
    servers.push(adminServer);
    // ---- FC 3.0 control API (issue 12 D): what doctor reads and invokes through @alicloud/fc2 ----
    const fcApiServer = await startFcApi(
      {
        ram,
        telemetry,
        runner,
        region: deploy.region,
        accountId: deploy.dataAccountId,
        functions: deployed.functions,
        environment: (resource) => deployed.environments[resource] ?? {},
        httpTriggerUrl: (name) => httpTriggerUrls.get(name),
        deployedAt: Date.now(),
      },
      portFor(5),
      host,
    );
    servers.push(fcApiServer);
    // ---- end FC 3.0 control API ----

    const info: StackInfo = {
      region: deploy.region,
      endpoints: {
        oss: ossEndpoint,
        sts: `${host}:${stsServer.port}`,
        imm: `${host}:${immServer.port}`,
        api: `http://${host}:${apiServer.port}`,
        admin: `http://${host}:${adminServer.port}`,
        fc: `http://${host}:${fcApiServer.port}`,
      },
      accounts: {
        data: { uid: deploy.dataAccountId, accessKeyId: dataAdmin.accessKeyId, accessKeySecret: dataAdmin.accessKeySecret },
        media: { uid: deploy.mediaAccountId, accessKeyId: mediaAdmin.accessKeyId, accessKeySecret: mediaAdmin.accessKeySecret },
      },
      bucket: deploy.bucket,
      immProject: deploy.immProject,
      roleArn: operatorRole.arn,
      apiToken,
      adminKey,
    };
    const functionEnv = deployed.environments[deployed.functions[0]?.resource ?? ''] ?? {};
    const settled = async () => {
      // The OSS emulator hands events over on the next turn of the event loop, after its response.
      await new Promise((resolve) => setImmediate(resolve));
      await runner.idle();
    };
    /**
     * Deliveries start tasks, finished tasks publish notifications, notifications are pushes: loop until still.
     * `pushWaitMs` bounds the wait for pushes MNS keeps retrying (its real schedule lasts hours): past it, the
     * stack stops waiting for them, as the reconciler would catch their tasks.
     */
    const drain = async (pushWaitMs?: number) => {
      for (;;) {
        await settled();
        await imm.tasks.idle();
        if (pushWaitMs === undefined) await topics.idle();
        else await Promise.race([topics.idle(), new Promise((resolve) => setTimeout(resolve, pushWaitMs).unref())]);
        await new Promise((resolve) => setImmediate(resolve));
        if (!runner.busy && (!topics.busy || pushWaitMs !== undefined)) return;
      }
    };
    const quiescent = () => drain();
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
      deployment: deployed,
      functionName,
      settled,
      redeploy: (envOverrides = {}) => deployed.redeploy(envOverrides),
      close: async () => {
        // IMM tasks still running, and their notifications, would reach servers about to close. Then nothing may fire
        // any more: a timer trigger or a push retry after close would write into a data dir that may be gone.
        await drain(CLOSE_PUSH_WAIT_MS);
        runner.stop();
        pusher.stop();
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
