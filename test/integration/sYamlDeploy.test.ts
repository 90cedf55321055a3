// The local stack deploys s.yaml as `s deploy` would, and refuses what FC would refuse: each realistic mistake
// fails at start (naming the s.yaml field) or at the first invocation, as it would in the cloud.
import { OpenApiUtil } from '@alicloud/openapi-core';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack } from '../../local/stack';
import { sceneJpeg } from '../helpers/images';
import { callApi, partnerClient, readSidecar, startTestStack, sYamlWith, type TestStack } from '../helpers/stack';

const OSS = 'resources.on-upload.props.triggers.0';
const HTTP = 'resources.api.props.triggers.0';

describe('s.yaml mistakes refused when the local stack deploys', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imm-bridge-syaml-'));
    dirs.push(dir);
    return dir;
  };

  it.each([
    ['a trigger on the media account\'s topic', { 'resources.api.props.triggers.1': { triggerName: 'done', triggerType: 'mns_topic', invocationRole: 'acs:ram::1000000000000001:role/aliyunmnsnotificationrole', sourceArn: 'acs:mns:cn-hangzhou:2000000000000002:/topics/imm-bridge-task-done', triggerConfig: { notifyContentFormat: 'JSON', notifyStrategy: 'BACKOFF_RETRY' } } }, /resources\.api\.props\.triggers\[1\]\.sourceArn names account 2000000000000002: FC triggers use resources of the deploying account/],
    ['an OSS trigger on a bucket that does not exist', { [`${OSS}.sourceArn`]: 'acs:oss:cn-hangzhou:1000000000000001:no-such-bucket' }, /triggers\[0\]\.sourceArn: bucket `no-such-bucket` does not exist/],
    ['a missing invocationRole', { [`${OSS}.invocationRole`]: undefined }, /resources\.on-upload\.props\.triggers\[0\]\.invocationRole is required/],
    ['an invocationRole that does not exist', { [`${OSS}.invocationRole`]: 'acs:ram::1000000000000001:role/oss-invoker' }, /invocationRole `acs:ram::1000000000000001:role\/oss-invoker` does not exist.*fc3 does not create/],
    ['a bad cron', { 'resources.api.props.triggers.1': { triggerName: 'tick', triggerType: 'timer', triggerConfig: { cronExpression: '@every 5', enable: true } } }, /triggers\[1\]\.triggerConfig\.cronExpression `@every 5`/],
    ['a missing variable', { 'resources.api.props.role': '${vars.functionRol}' }, /resources\.api: undefined variable `vars\.functionRol`/],
    ['a function role that does not exist', { 'resources.api.props.role': 'acs:ram::1000000000000001:role/imm-bridge-fnn' }, /resources\.api\.props\.role `acs:ram::1000000000000001:role\/imm-bridge-fnn` does not exist/],
    ['another region', { 'resources.api.props.region': 'cn-shanghai' }, /resources\.api\.props\.region `cn-shanghai`/],
    ['code that is not a build output', { 'resources.api.props.code': './src/api' }, /resources\.api\.props\.code `\.\/src\/api` is not the build output/],
    ['an onFailure destination (not emulated)', { 'resources.on-upload.props.asyncInvokeConfig.destinationConfig': { onFailure: { destination: 'acs:fc:cn-hangzhou:1000000000000001:functions/dlq' } } }, /resources\.on-upload\.props\.asyncInvokeConfig\.destinationConfig\.onFailure is not emulated/],
    ['jwt auth (not emulated)', { [`${HTTP}.triggerConfig.authType`]: 'jwt' }, /authType `jwt` is not emulated/],
  ])('refuses %s at start, naming the field', async (_name, changes, message) => {
    // Prepare
    const text = sYamlWith(changes);
    // Act
    const start = startStack({ port: 0, dataDir: tempDir(), logLevel: 'silent', sYamlText: text });
    // Assess
    await expect(start).rejects.toThrow(message);
  });

  it('refuses an unbuilt code path when deploying the build output', async () => {
    // Prepare: a folder with no dist/, as a clone that was never built.
    const codeRoot = tempDir();
    // Act
    const start = startStack({ port: 0, dataDir: tempDir(), logLevel: 'silent', codeSource: 'bundle', codeRoot });
    // Assess
    await expect(start).rejects.toThrow(/resources\.on-upload\.props\.code `\.\/dist\/on-upload` has no index\.js: run `npm run build`, or give the resource `actions: pre-deploy/);
  });

  describe('mistakes that show at the first invocation', () => {
    let stack: TestStack | undefined;
    afterEach(async () => {
      await stack?.dispose();
      stack = undefined;
    });

    it('a wrong handler deploys, then every invocation fails with HandlerNotFound', async () => {
      // Prepare
      stack = await startTestStack({ sYamlText: sYamlWith({ 'resources.api.props.handler': 'index.main' }) });
      // Act
      const response = await fetch(`${stack.info.endpoints.api}/healthz`);
      // Assess
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ ErrorCode: 'UnhandledInvocationError', ErrorMessage: expect.stringMatching(/Handler 'main' is missing on module 'index'/) });
    });

    it('a wrong ExternalId in the env file fails the first upload with the AssumeRole hint', async () => {
      // Prepare
      stack = await startTestStack({ deployEnv: { IMM_ROLE_EXTERNAL_ID: 'not-the-agreed-id' } });
      const partner = partnerClient(stack.info, true);
      // Act
      await partner.put('incoming/env-file/a.jpg', await sceneJpeg(64, 48));
      await stack.settled();
      const sidecar = await readSidecar(partner, 'incoming/env-file/a.jpg');
      // Assess
      expect(sidecar).toMatchObject({ status: 'failed', error: { code: 'AssumeRoleDenied' } });
    });

    it('an env file changes a function\'s environment without code: another API token', async () => {
      // Prepare
      const token = 'my-own-token-0123456789';
      stack = await startTestStack({ deployEnv: { API_TOKENS_SHA256: createHash('sha256').update(token).digest('hex') } });
      // Act
      const theirs = await callApi(stack.info, 'GET', '/tasks/MediaConvert/x');
      const mine = await callApi(stack.info, 'GET', '/tasks/MediaConvert/x', undefined, token);
      // Assess
      expect(theirs.status).toBe(401);
      expect(mine.status).toBe(404);
    });
  });

  describe('authType: function', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack({ sYamlText: sYamlWith({ [`${HTTP}.triggerConfig.authType`]: 'function' }) });
    });
    afterAll(() => stack.dispose());

    it('answers 403 to a bearer client before the function runs', async () => {
      // Prepare
      const before = stack.telemetry.stats().invocations[stack.functionName('api')] ?? 0;
      // Act
      const response = await callApi(stack.info, 'POST', '/images/score', { uri: `oss://${stack.info.bucket}/incoming/a.jpg` });
      // Assess
      expect(response.status).toBe(403);
      expect(stack.telemetry.stats().invocations[stack.functionName('api')] ?? 0).toBe(before);
    });

    it('lets a request signed with ACS3-HMAC-SHA256 (openapi-core\'s signer) through', async () => {
      // Prepare
      const url = new URL(`${stack.info.endpoints.api}/healthz`);
      const headers: Record<string, string> = {
        host: url.host,
        'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
        'x-acs-signature-nonce': `n-${Date.now()}`,
      };
      const { accessKeyId, accessKeySecret } = stack.info.accounts.data;
      headers.authorization = OpenApiUtil.getAuthorization({ pathname: '/healthz', method: 'GET', query: {}, headers } as never, 'ACS3-HMAC-SHA256', headers['x-acs-content-sha256'], accessKeyId, accessKeySecret);
      const media = stack.info.accounts.media;
      const foreign: Record<string, string> = { ...headers, 'x-acs-signature-nonce': `m-${Date.now()}` };
      delete foreign.authorization;
      foreign.authorization = OpenApiUtil.getAuthorization({ pathname: '/healthz', method: 'GET', query: {}, headers: foreign } as never, 'ACS3-HMAC-SHA256', headers['x-acs-content-sha256'], media.accessKeyId, media.accessKeySecret);
      // Act
      const signed = await fetch(url, { headers });
      const tampered = await fetch(url, { headers: { ...headers, authorization: headers.authorization.replace(/Signature=\w/, 'Signature=0') } });
      const otherAccount = await fetch(url, { headers: foreign });
      // Assess
      expect(signed.status).toBe(200);
      expect(tampered.status).toBe(403);
      // A valid signature by another account's key: FC functions have no resource policy, so it may not invoke.
      expect(otherAccount.status).toBe(403);
      expect(await otherAccount.json()).toMatchObject({ ErrorCode: 'AccessDenied', ErrorMessage: expect.stringContaining('fc:InvokeFunction') });
    });
  });
});
