// The offline STS driven by the real @alicloud/sts20150401 1.2.0 client (ACS3-HMAC-SHA256), plus raw HTTP
// where the SDK cannot produce the request (a tampered signature, a form body), signed by openapi-core's
// own signer. RAM is the DESIGN §1 cross-account setup: a data-account RAM user assumes a media-account
// role whose trust policy names the data account with an ExternalId condition.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { stringify } from 'node:querystring';
import OpenApi, { $OpenApiUtil, OpenApiUtil } from '@alicloud/openapi-core';
import Sts, { AssumeRoleRequest } from '@alicloud/sts20150401';
import { RuntimeOptions } from '@darabonba/typescript';
import { Ram, type AccessKey } from '../../local/ram';
import type { RunningServer } from '../../local/server';
import { createStsEmulator, NO_PERMISSION_MESSAGE, StsError, type StsEmulator } from '../../local/sts';
import { Telemetry } from '../../local/telemetry';
import { rejection } from '../helpers/sdk';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const OTHER = '3000000000000003';
const EXTERNAL_ID = 'imm-bridge-5f2a9c';
const OPERATOR_ARN = `acs:ram::${MEDIA}:role/imm-bridge-operator`;
const UNTRUSTING_ARN = `acs:ram::${MEDIA}:role/trusts-another-account`;
const SERVICE_ROLE_ARN = `acs:ram::${MEDIA}:role/AliyunIMMDefaultRole`;

const allow = (action: string, resource: string) => ({ Version: '1', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });
const trustAccount = (uid: string, externalId?: string) => ({
  Version: '1',
  Statement: [
    {
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { RAM: [`acs:ram::${uid}:root`] },
      ...(externalId ? { Condition: { StringEquals: { 'sts:ExternalId': externalId } } } : {}),
    },
  ],
});

describe('sts emulator with @alicloud/sts20150401', () => {
  let telemetry: Telemetry;
  let ram: Ram;
  let sts: StsEmulator;
  let server: RunningServer;
  let fn: AccessKey;
  let noSts: AccessKey;
  let root: AccessKey;

  const client = (key: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) =>
    new Sts(
      new $OpenApiUtil.Config({
        accessKeyId: key.accessKeyId,
        accessKeySecret: key.accessKeySecret,
        securityToken: key.securityToken,
        regionId: 'cn-hangzhou',
        endpoint: `127.0.0.1:${server.port}`,
        protocol: 'http',
      }),
    );

  const assume = (key: AccessKey, fields: Partial<AssumeRoleRequest> = {}) =>
    client(key).assumeRole(new AssumeRoleRequest({ roleArn: OPERATOR_ARN, roleSessionName: 'fn-session', durationSeconds: 900, externalId: EXTERNAL_ID, ...fields }));

  beforeEach(async () => {
    telemetry = new Telemetry();
    ram = new Ram(telemetry);
    ram.addAccount(DATA, 'data');
    ram.addAccount(MEDIA, 'media');
    fn = ram.addUser(DATA, 'fn', [allow('sts:AssumeRole', `acs:ram::${MEDIA}:role/*`)]);
    noSts = ram.addUser(DATA, 'reader', [allow('oss:GetObject', '*')]);
    root = ram.addRootKey(DATA);
    ram.addRole(MEDIA, 'imm-bridge-operator', trustAccount(DATA, EXTERNAL_ID), [allow('imm:DetectImageScore', '*')]);
    ram.addRole(MEDIA, 'trusts-another-account', trustAccount(OTHER, EXTERNAL_ID));
    ram.addRole(MEDIA, 'AliyunIMMDefaultRole', { Version: '1', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['imm.aliyuncs.com'] } }] });
    sts = createStsEmulator({ ram, telemetry, region: 'cn-hangzhou' });
    server = await sts.start(0);
  });

  afterEach(async () => {
    await server.close();
  });

  it('lets a data-account user assume the media-account role with the agreed ExternalId', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const response = await assume(fn);

    // Assess
    const body = response.body!;
    expect(response.statusCode).toBe(200);
    expect(body.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(body.assumedRoleUser).toMatchObject({ arn: `${OPERATOR_ARN}/fn-session`, assumedRoleId: expect.stringMatching(/^\d{17}:fn-session$/) });
    expect(body.credentials).toMatchObject({
      accessKeyId: expect.stringMatching(/^STS\./),
      accessKeySecret: expect.any(String),
      securityToken: expect.any(String),
      expiration: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    const expiresIn = Date.parse(body.credentials!.expiration!) - before;
    expect(expiresIn).toBeGreaterThan(899_000);
    expect(expiresIn).toBeLessThanOrEqual(901_000);
    expect(telemetry.stats().calls['sts:AssumeRole']).toBe(1);
  });

  it('hands out credentials that work for a follow-up call, until the session expires', async () => {
    // Prepare
    const credentials = (await assume(fn)).body!.credentials!;
    const session = { accessKeyId: credentials.accessKeyId!, accessKeySecret: credentials.accessKeySecret!, securityToken: credentials.securityToken! };

    // Act
    const identity = await client(session).getCallerIdentity();
    ram.expireSession(session.accessKeyId);
    const expired = await rejection(client(session).getCallerIdentity());

    // Assess
    expect(identity.body).toMatchObject({ accountId: MEDIA, identityType: 'AssumedRoleUser', arn: `acs:ram::${MEDIA}:assumed-role/imm-bridge-operator/fn-session` });
    expect(expired).toMatchObject({ code: 'InvalidSecurityToken.Expired', statusCode: 403 });
  });

  /** Why the emulator refused: its AccessDeniedDetail, with the engine's explanation as the diagnostic message. */
  const why = (error: Awaited<ReturnType<typeof rejection>>) => {
    const detail = (error.data as { AccessDeniedDetail?: { PolicyType?: string; EncodedDiagnosticMessage?: string } } | undefined)?.AccessDeniedDetail;
    return { policyType: detail?.PolicyType, explanation: Buffer.from(detail?.EncodedDiagnosticMessage ?? '', 'base64').toString('utf8') };
  };

  it.each([
    { case: 'a wrong ExternalId', externalId: 'not-the-agreed-id' },
    { case: 'no ExternalId', externalId: undefined },
  ])('refuses $case with the documented NoPermission, and says in AccessDeniedDetail that the sts:ExternalId condition failed', async ({ externalId }) => {
    // Act
    const error = await rejection(assume(fn, { externalId }));

    // Assess
    expect(error).toMatchObject({ code: 'NoPermission', statusCode: 403 });
    expect(error.data?.Message).toBe(NO_PERMISSION_MESSAGE);
    expect(why(error).policyType).toBe('ResourceBasedPolicy');
    expect(why(error).explanation).toContain('trust policy: ImplicitDeny (a condition failed: Statement[0] StringEquals sts:ExternalId');
    expect(error.data).toMatchObject({ Code: 'NoPermission', RequestId: expect.any(String), HostId: 'sts.aliyuncs.com', Recommend: expect.stringContaining('NoPermission') });
  });

  it('refuses a role whose trust policy does not name the data account with the same NoPermission, the detail saying the principal is not trusted', async () => {
    // Act
    const error = await rejection(assume(fn, { roleArn: UNTRUSTING_ARN }));

    // Assess
    expect(error).toMatchObject({ code: 'NoPermission', statusCode: 403, data: { Message: NO_PERMISSION_MESSAGE } });
    expect(why(error).policyType).toBe('ResourceBasedPolicy');
    expect(why(error).explanation).toContain(`trust policy: ImplicitDeny (principal acs:ram::${DATA}:user/fn is not trusted)`);
    expect(why(error).explanation).not.toMatch(/ExternalId/);
  });

  it('refuses a caller whose own policies do not allow sts:AssumeRole with the same NoPermission, the detail naming the identity side', async () => {
    // Act
    const error = await rejection(assume(noSts));

    // Assess
    expect(error).toMatchObject({ code: 'NoPermission', statusCode: 403, data: { Message: NO_PERMISSION_MESSAGE } });
    expect(why(error).policyType).toBe('IdentityBasedPolicy');
    expect(why(error).explanation).toContain(`identity: ImplicitDeny (no statement allows sts:AssumeRole on ${OPERATOR_ARN})`);
    expect(why(error).explanation).toContain('trust policy: Allow');
  });

  it('refuses an account root key', async () => {
    // Act
    const error = await rejection(assume(root));

    // Assess
    expect(error).toMatchObject({ code: 'NoPermission', statusCode: 403, data: { Message: 'Roles may not be assumed by root accounts.' } });
  });

  it.each([
    { field: 'RoleSessionName', fields: { roleSessionName: 'a' }, code: 'InvalidParameter.RoleSessionName' },
    { field: 'RoleSessionName', fields: { roleSessionName: 'has space' }, code: 'InvalidParameter.RoleSessionName' },
    { field: 'RoleSessionName', fields: { roleSessionName: 'x'.repeat(65) }, code: 'InvalidParameter.RoleSessionName' },
    { field: 'DurationSeconds', fields: { durationSeconds: 600 }, code: 'InvalidParameter.DurationSeconds' },
    { field: 'DurationSeconds', fields: { durationSeconds: 7200 }, code: 'InvalidParameter.DurationSeconds' },
    { field: 'ExternalId', fields: { externalId: 'a' }, code: 'InvalidParameter.ExternalId' },
    { field: 'ExternalId', fields: { externalId: 'has space' }, code: 'InvalidParameter.ExternalId' },
    { field: 'RoleArn', fields: { roleArn: `acs:ram::${MEDIA}:user/alice` }, code: 'InvalidParameter.RoleArn' },
    { field: 'Policy', fields: { policy: '{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}' }, code: 'InvalidParameter.PolicyGrammar' },
    { field: 'Policy', fields: { policy: 'not json' }, code: 'InvalidParameter.PolicyGrammar' },
    { field: 'Policy', fields: { policy: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: 'x'.repeat(2100) }] }) }, code: 'InvalidParameter.PolicySize' },
  ])('refuses a bad $field with 400 $code', async ({ fields, code }) => {
    // Act
    const error = await rejection(assume(fn, fields));

    // Assess
    expect(error).toMatchObject({ code, statusCode: 400 });
  });

  it('answers a role that does not exist with EntityNotExist.Role', async () => {
    // Act
    const error = await rejection(assume(fn, { roleArn: `acs:ram::${MEDIA}:role/nope` }));

    // Assess
    expect(error).toMatchObject({ code: 'EntityNotExist.Role', statusCode: 404, data: { Message: 'The specified Role not exists.' } });
  });

  it('attaches a session policy that narrows the session', async () => {
    // Prepare
    const policy = JSON.stringify(allow('imm:*', `acs:imm:*:${MEDIA}:project/sandbox`));

    // Act
    const credentials = (await assume(fn, { policy })).body!.credentials!;

    // Assess
    const resolved = ram.resolveKey(credentials.accessKeyId!, credentials.securityToken);
    const caller = resolved.ok ? resolved.key.caller : undefined;
    expect(caller?.sessionPolicy).toBeDefined();
    expect(ram.authorizeIdentity('imm', caller!, 'imm:DetectImageScore', `acs:imm:cn-hangzhou:${MEDIA}:project/immtest`).decision).toBe('ImplicitDeny');
    expect(ram.authorizeIdentity('imm', caller!, 'imm:DetectImageScore', `acs:imm:cn-hangzhou:${MEDIA}:project/sandbox`).decision).toBe('Allow');
  });

  it('refuses a signature made with the wrong secret', async () => {
    // Act
    const error = await rejection(assume({ ...fn, accessKeySecret: 'not-the-secret' }));

    // Assess
    expect(error).toMatchObject({ code: 'SignatureDoesNotMatch', statusCode: 403 });
    expect(error.data?.Message).toContain('server string to sign is:');
  });

  it('refuses an unknown AccessKeyId', async () => {
    // Act
    const error = await rejection(assume({ ...fn, accessKeyId: 'LTAInobody' }));

    // Assess
    expect(error).toMatchObject({ code: 'InvalidAccessKeyId.NotFound', statusCode: 404 });
  });

  it('answers an injected fault before anything else, and counts the call', async () => {
    // Prepare
    telemetry.setFaults([{ service: 'sts', action: 'AssumeRole', rate: 1, status: 503, code: 'ServiceUnavailable', message: 'injected' }]);

    // Act
    const error = await rejection(assume(root));

    // Assess
    expect(error).toMatchObject({ code: 'ServiceUnavailable', statusCode: 503 });
    expect(telemetry.stats().calls['sts:AssumeRole']).toBe(1);
  });

  describe('raw HTTP signed by openapi-core', () => {
    /** Builds the request openapi-core would send and signs it with OpenApiUtil.getAuthorization (the SDK's signer). */
    function signed(query: Record<string, string>, body = '', secret = fn.accessKeySecret) {
      const payload = Buffer.from(body);
      const headers: Record<string, string> = {
        host: `127.0.0.1:${server.port}`,
        'x-acs-version': '2015-04-01',
        'x-acs-action': 'AssumeRole',
        'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'x-acs-signature-nonce': randomBytes(16).toString('hex'),
        'x-acs-content-sha256': createHash('sha256').update(payload).digest('hex'),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      };
      const authorization = OpenApiUtil.getAuthorization(
        { pathname: '/', method: 'POST', query, headers } as unknown as Parameters<typeof OpenApiUtil.getAuthorization>[0],
        'ACS3-HMAC-SHA256',
        headers['x-acs-content-sha256'],
        fn.accessKeyId,
        secret,
      );
      return { headers: { ...headers, authorization }, payload };
    }

    const send = (path: string, headers: Record<string, string>, payload: Buffer) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        });
        req.on('error', reject);
        req.end(payload);
      });

    const params = { RoleArn: OPERATOR_ARN, RoleSessionName: 'raw-session', DurationSeconds: '900', ExternalId: EXTERNAL_ID };

    it('accepts the parameters in a form body', async () => {
      // Prepare
      const body = stringify(params);
      const { headers, payload } = signed({}, body);

      // Act
      const response = await send('/', headers, payload);

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ AssumedRoleUser: { Arn: `${OPERATOR_ARN}/raw-session` } });
    });

    it('refuses a request whose query was changed after signing', async () => {
      // Prepare
      const { headers, payload } = signed(params);

      // Act
      const response = await send(`/?${stringify({ ...params, DurationSeconds: '3600' })}`, headers, payload);

      // Assess
      expect(response.status).toBe(403);
      expect(response.body).toMatchObject({ Code: 'SignatureDoesNotMatch', Message: expect.stringContaining('DurationSeconds=3600') });
    });

    it('refuses a replayed request', async () => {
      // Prepare
      const { headers, payload } = signed(params);

      // Act
      const first = await send(`/?${stringify(params)}`, headers, payload);
      const replay = await send(`/?${stringify(params)}`, headers, payload);

      // Assess
      expect(first.status).toBe(200);
      expect(replay).toMatchObject({ status: 400, body: { Code: 'SignatureNonceUsed' } });
    });

    it('refuses an unsigned request', async () => {
      // Act
      const response = await send(`/?${stringify(params)}`, { 'x-acs-action': 'AssumeRole', 'x-acs-version': '2015-04-01' }, Buffer.alloc(0));

      // Assess
      expect(response).toMatchObject({ status: 400, body: { Code: 'IncompleteSignature' } });
    });

    it.each<{ case: string; headers: Record<string, string>; status: number; code: string }>([
      { case: 'an unknown action', headers: { 'x-acs-action': 'AssumeEverything' }, status: 404, code: 'InvalidAction.NotFound' },
      { case: 'another API version', headers: { 'x-acs-version': '2019-01-01' }, status: 400, code: 'InvalidVersion' },
    ])('refuses $case', async ({ headers, status, code }) => {
      // Prepare
      const request = signed(params);

      // Act
      const response = await send(`/?${stringify(params)}`, { ...request.headers, ...headers }, request.payload);

      // Assess
      expect(response).toMatchObject({ status, body: { Code: code } });
    });
  });

  describe('assumeRoleAsService', () => {
    it('lets a service the trust policy names assume the role, without counting an API call', async () => {
      // Act
      const key = await sts.service.assumeRoleAsService('imm.aliyuncs.com', SERVICE_ROLE_ARN, 'imm-service', 3600);

      // Assess
      expect(key.caller).toMatchObject({ kind: 'role-session', arn: `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-service` });
      expect(key.accessKeyId).toMatch(/^STS\./);
      expect(telemetry.stats().calls['sts:AssumeRole']).toBeUndefined();
    });

    it('refuses a service the trust policy does not name with a typed error and the explanation', async () => {
      // Act
      const result = sts.service.assumeRoleAsService('fc.aliyuncs.com', SERVICE_ROLE_ARN, 'fc-session', 3600);

      // Assess
      await expect(result).rejects.toBeInstanceOf(StsError);
      await expect(result).rejects.toMatchObject({ code: 'NoPermission', status: 403, explanation: expect.arrayContaining([expect.stringContaining('fc.aliyuncs.com is not trusted')]) });
    });

    it('refuses a role that does not exist', async () => {
      // Act
      const result = sts.service.assumeRoleAsService('fc.aliyuncs.com', `acs:ram::${MEDIA}:role/missing`, 'fc-session', 3600);

      // Assess
      await expect(result).rejects.toMatchObject({ code: 'EntityNotExist.Role' });
    });
  });

  it('works with the generic openapi-core client too (what shared/ uses for IMM)', async () => {
    // Prepare
    const api = new OpenApi(new $OpenApiUtil.Config({ accessKeyId: fn.accessKeyId, accessKeySecret: fn.accessKeySecret, regionId: 'cn-hangzhou', endpoint: `127.0.0.1:${server.port}`, protocol: 'http' }));
    const params = new $OpenApiUtil.Params({ action: 'AssumeRole', version: '2015-04-01', protocol: 'HTTPS', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' });
    const query = OpenApiUtil.query({ RoleArn: OPERATOR_ARN, RoleSessionName: 'generic', ExternalId: EXTERNAL_ID });

    // Act
    const response = (await api.callApi(params, new $OpenApiUtil.OpenApiRequest({ query }), new RuntimeOptions({}))) as { body: Record<string, unknown> };

    // Assess
    expect(response.body).toMatchObject({ AssumedRoleUser: { Arn: `${OPERATOR_ARN}/generic` }, Credentials: { AccessKeyId: expect.stringMatching(/^STS\./) } });
  });
});
