// The local FC's FC 3.0 control API (local/fcApi.ts), driven by the official `@alicloud/fc2` client the way fc3
// drives FC 3.0 (`client.version = '2023-03-30'`), with stack.json's keys: what s.yaml deployed, the triggers,
// sync and async invocations, and refusals (tampered signature, another account, a user without the action,
// an unknown function).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PROJECT_S_YAML, type StackInfo } from '../../local/stack';
import { FC2, fc2Failure, fc3Client } from '../helpers/fc2';
import { startTestStack, type TestStack } from '../helpers/stack';

type SYaml = { vars: { environment: Record<string, string> }; resources: Record<string, { props: Record<string, unknown> }> };

/** FC 3.0's timer trigger event (alibabacloud.com/help/en/fc/formats-of-event-for-different-triggers). */
const timerEvent = () => JSON.stringify({ triggerTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), triggerName: 'reconcile', payload: '' });

/** A raw request signed by fc2's own signer, for what the client's methods cannot send (a body-less error read, a replay). */
async function signedFetch(info: StackInfo, method: string, path: string, account: 'data' | 'media' = 'data') {
  const signedHeaders: Record<string, string> = { date: new Date().toUTCString(), 'x-fc-account-id': info.accounts.data.uid };
  const key = info.accounts[account];
  signedHeaders.authorization = FC2.getSignature(key.accessKeyId, key.accessKeySecret, method, path, signedHeaders, null);
  return fetch(`${info.endpoints.fc}${path}`, { method, headers: signedHeaders });
}

describe('local FC 3.0 API through @alicloud/fc2', () => {
  let stack: TestStack;
  let sYaml: SYaml;

  beforeAll(async () => {
    stack = await startTestStack();
    sYaml = parse(readFileSync(PROJECT_S_YAML, 'utf8')) as SYaml;
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it('GetFunction reports what s.yaml deployed for the api', async () => {
    // Prepare
    const client = fc3Client(stack.info);
    const props = sYaml.resources.api.props;
    // Act
    const { data, headers } = await client.get<Record<string, any>>(`/functions/${stack.functionName('api')}`);
    // Assess
    expect(headers['x-fc-request-id']).toMatch(/^1-/);
    expect(data).toMatchObject({
      functionName: props.functionName,
      functionArn: `acs:fc:${stack.info.region}:${stack.info.accounts.data.uid}:functions/${props.functionName}`,
      description: props.description,
      runtime: props.runtime,
      handler: props.handler,
      timeout: props.timeout,
      memorySize: props.memorySize,
      // fc3 lower-cases role ARNs (reference/deploy.md §5).
      role: `acs:ram::${stack.info.accounts.data.uid}:role/imm-bridge-fn`,
      state: 'Active',
    });
    const literalEnv = Object.fromEntries(Object.entries(sYaml.vars.environment).filter(([, v]) => !v.includes('${')));
    expect(literalEnv).toMatchObject({ INPUT_PREFIX: 'incoming/' });
    expect(data.environmentVariables).toMatchObject({ ...literalEnv, IMM_PROJECT: stack.info.immProject, IMM_ROLE_ARN: stack.info.roleArn, ALLOWED_BUCKETS: stack.info.bucket });
  });

  it('ListTriggers lists the OSS trigger of on-upload, the timer of reconcile and the api URL', async () => {
    // Prepare
    const client = fc3Client(stack.info);
    const uid = stack.info.accounts.data.uid;
    // Act
    const onUpload = await client.get<{ triggers: Record<string, any>[] }>(`/functions/${stack.functionName('on-upload')}/triggers`);
    const reconcile = await client.get<{ triggers: Record<string, any>[] }>(`/functions/${stack.functionName('reconcile')}/triggers`);
    const api = await client.get<{ triggers: Record<string, any>[] }>(`/functions/${stack.functionName('api')}/triggers`);
    // Assess
    expect(onUpload.data.triggers).toEqual([
      expect.objectContaining({
        triggerName: 'on-incoming-object',
        triggerType: 'oss',
        qualifier: 'LATEST',
        sourceArn: `acs:oss:${stack.info.region}:${uid}:${stack.info.bucket}`,
        invocationRole: `acs:ram::${uid}:role/aliyunosseventnotificationrole`,
      }),
    ]);
    expect(JSON.parse(onUpload.data.triggers[0].triggerConfig)).toEqual({ events: ['oss:ObjectCreated:*'], filter: { key: { prefix: 'incoming/', suffix: '' } } });
    expect(reconcile.data.triggers).toEqual([expect.objectContaining({ triggerName: 'reconcile', triggerType: 'timer' })]);
    expect(JSON.parse(reconcile.data.triggers[0].triggerConfig)).toEqual({ cronExpression: '@every 5m', enable: true, payload: '' });
    expect(api.data.triggers).toEqual([expect.objectContaining({ triggerType: 'http', httpTrigger: { urlInternet: stack.info.endpoints.api, urlIntranet: stack.info.endpoints.api } })]);
  });

  it('InvokeFunction runs the reconciler synchronously with a timer event and returns its summary', async () => {
    // Prepare
    const client = fc3Client(stack.info);
    const name = stack.functionName('reconcile');
    const before = stack.telemetry.stats().invocations[name] ?? 0;
    // Act
    const { data, headers } = await client.post<string>(`/functions/${name}/invocations`, timerEvent());
    // Assess
    expect(headers['x-fc-error-type']).toBeUndefined();
    expect(JSON.parse(data)).toEqual({ listed: 0, settled: 0, redriven: 0, dropped: 0, left: 0, errors: 0 });
    expect(stack.telemetry.stats().invocations[name]).toBe(before + 1);
  });

  it('InvokeFunction with x-fc-invocation-type Async answers 202 at once and the runner delivers the event', async () => {
    // Prepare
    const client = fc3Client(stack.info);
    const name = stack.functionName('reconcile');
    // Act
    const response = await signedFetchPost(stack.info, `/2023-03-30/functions/${name}/invocations`, timerEvent(), { 'x-fc-invocation-type': 'Async' });
    const viaFc2 = await client.post(`/functions/${name}/invocations`, timerEvent(), { 'x-fc-invocation-type': 'Async' });
    await stack.settled();
    // Assess
    expect(response.status).toBe(202);
    const requestIds = [response.headers.get('x-fc-request-id'), viaFc2.headers['x-fc-request-id']];
    for (const id of requestIds) {
      expect(id).toMatch(/^1-/);
      expect(stack.runner.deliveries.filter((d) => d.key === `invoke/${id}`)).toEqual([expect.objectContaining({ functionName: name, ok: true, attempts: 1 })]);
    }
  });

  it('refuses a signature replayed on another path, and a header changed after signing, with 403 SignatureNotMatch', async () => {
    // Prepare: capture exactly what fc2 sends for GetFunction(api), on a server that only records it.
    const captured: IncomingHttpHeaders[] = [];
    const recorder = createServer((req, res) => {
      captured.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const apiPath = `/2023-03-30/functions/${stack.functionName('api')}`;
    try {
      await fc3Client(stack.info, 'data', { endpoint: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}` }).get(`/functions/${stack.functionName('api')}`);
    } finally {
      recorder.close();
    }
    const replayHeaders = Object.fromEntries(Object.entries(captured[0]).filter(([k]) => k !== 'host' && k !== 'connection').map(([k, v]) => [k, String(v)]));
    // Act
    const asSigned = await fetch(`${stack.info.endpoints.fc}${apiPath}`, { headers: replayHeaders });
    const otherPath = await fetch(`${stack.info.endpoints.fc}/2023-03-30/functions/${stack.functionName('on-upload')}`, { headers: replayHeaders });
    const changedHeader = await fetch(`${stack.info.endpoints.fc}${apiPath}`, { headers: { ...replayHeaders, 'x-fc-account-id': stack.info.accounts.media.uid } });
    const wrongSecret = await fc2Failure(fc3Client(stack.info, 'data', { accessKeySecret: 'not-the-secret' }).get(`/functions/${stack.functionName('api')}`));
    // Assess: the replay as captured still passes (15-minute window, as in the cloud), so each 403 is the change's doing.
    expect(asSigned.status).toBe(200);
    expect(otherPath.status).toBe(403);
    expect(await otherPath.json()).toMatchObject({ Code: 'SignatureNotMatch', RequestId: otherPath.headers.get('x-fc-request-id') });
    expect(changedHeader.status).toBe(403);
    expect(await changedHeader.json()).toMatchObject({ Code: 'SignatureNotMatch' });
    expect(wrongSecret.status).toBe(403);
  });

  it("refuses the media account's key with 403 AccessDenied: FC functions take no grants from another account", async () => {
    // Prepare: the media admin may do anything in its own account.
    const client = fc3Client(stack.info, 'media');
    // Act
    const failure = await fc2Failure(client.get(`/functions/${stack.functionName('api')}`));
    const raw = await signedFetch(stack.info, 'GET', `/2023-03-30/functions/${stack.functionName('api')}`, 'media');
    // Assess
    expect(failure.status).toBe(403);
    expect(failure.message).toContain(`/functions/${stack.functionName('api')} failed with 403`);
    expect(raw.status).toBe(403);
    expect(await raw.json()).toMatchObject({ Code: 'AccessDenied', Message: expect.stringContaining(`acs:ram::${stack.info.accounts.media.uid}:user/admin`) });
  });

  it('authorizes each action on the function ARN by the signer’s own policies', async () => {
    // Prepare: a data-account user that may only read this one function.
    const uid = stack.info.accounts.data.uid;
    const name = stack.functionName('api');
    const reader = stack.ram.addUser(uid, 'fc-reader', [{ Version: '1', Statement: [{ Effect: 'Allow', Action: 'fc:GetFunction', Resource: `acs:fc:${stack.info.region}:${uid}:functions/${name}` }] }]);
    const client = new FC2(uid, { accessKeyID: reader.accessKeyId, accessKeySecret: reader.accessKeySecret, region: stack.info.region, endpoint: stack.info.endpoints.fc });
    client.version = '2023-03-30';
    // Act
    const get = await client.get<Record<string, unknown>>(`/functions/${name}`);
    const list = await fc2Failure(client.get(`/functions/${name}/triggers`));
    const invoke = await fc2Failure(client.post(`/functions/${name}/invocations`, '{}'));
    const other = await fc2Failure(client.get(`/functions/${stack.functionName('reconcile')}`));
    // Assess
    expect(get.data.functionName).toBe(name);
    expect([list.status, invoke.status, other.status]).toEqual([403, 403, 403]);
  });

  it("answers an unknown function with 404 and FC 3.0's error struct", async () => {
    // Act
    const viaFc2 = await fc2Failure(fc3Client(stack.info).get('/functions/no-such-function'));
    const raw = await signedFetch(stack.info, 'GET', '/2023-03-30/functions/no-such-function');
    // Assess
    expect(viaFc2.status).toBe(404);
    expect(raw.status).toBe(404);
    expect(await raw.json()).toEqual({ Code: 'FunctionNotFound', Message: "function 'no-such-function' does not exist", RequestId: raw.headers.get('x-fc-request-id') });
  });
});

/** A signed POST with a body, its Content-MD5 computed as fc2 computes it (base64 of the hex digest). */
async function signedFetchPost(info: StackInfo, path: string, body: string, headers: Record<string, string>) {
  const { createHash } = await import('node:crypto');
  const md5 = Buffer.from(createHash('md5').update(body).digest('hex'), 'utf8').toString('base64');
  const signedHeaders: Record<string, string> = { date: new Date().toUTCString(), 'x-fc-account-id': info.accounts.data.uid, 'content-type': 'application/octet-stream', 'content-md5': md5, ...headers };
  signedHeaders.authorization = FC2.getSignature(info.accounts.data.accessKeyId, info.accounts.data.accessKeySecret, 'POST', path, signedHeaders, null);
  return fetch(`${info.endpoints.fc}${path}`, { method: 'POST', headers: signedHeaders, body });
}
