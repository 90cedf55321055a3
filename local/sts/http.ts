// Protocol layer of the offline STS: RPC over HTTP as @alicloud/sts20150401 1.2.0 sends it — POST / with
// `x-acs-action` and `x-acs-version: 2015-04-01`, parameters in the query (a form body is accepted too),
// ACS3-HMAC-SHA256 signatures — and JSON answers. Per request: count → injected fault → action/version →
// signature → service → JSON. Every error, from any layer, is written here as reference §6's body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAcs3Verifier, errorBody, formatAcsDate, newRequestId, readRpcRequest, sendJson, type Acs3Error, type Acs3Verifier, type RpcRequest } from '../acs3';
import type { Caller, Ram } from '../ram';
import type { Telemetry } from '../telemetry';
import { StsError, stsErrors } from './errors';
import type { StsService } from './StsService';

export const STS_VERSION = '2015-04-01';
const HOST_ID = 'sts.aliyuncs.com';

export interface StsHandlerOptions {
  ram: Ram;
  service: StsService;
  telemetry: Telemetry;
  now?: () => number;
}

type Verified = { caller: Caller; accessKeyId: string };
type Operation = (request: RpcRequest, verified: Verified) => Record<string, unknown>;

export function createStsHandler(options: StsHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const verifier = createAcs3Verifier({ ram: options.ram, now: options.now });
  const operations: Record<string, Operation> = {
    AssumeRole: (request, verified) => assumeRole(options.service, request, verified),
    GetCallerIdentity: (_request, verified) => callerIdentity(verified),
  };
  return (req, res) => {
    handle(options, verifier, operations, req, res).catch((error: unknown) => {
      // handle() answers every error itself; reaching here means the socket broke mid-response.
      console.error(`sts emulator: ${String((error as Error)?.message ?? error)}`);
      res.destroy();
    });
  };
}

async function handle(options: StsHandlerOptions, verifier: Acs3Verifier, operations: Record<string, Operation>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  const reply = (status: number, body: Record<string, unknown>) => sendJson(res, status, body, requestId);
  const replyError = (error: Acs3Error) => reply(error.status, errorBody(error, requestId, HOST_ID, 'Sts'));
  try {
    const request = await readRpcRequest(req);
    const operation = Object.prototype.hasOwnProperty.call(operations, request.action) ? operations[request.action] : undefined;
    options.telemetry.countCall('sts', operation ? request.action : 'Unknown');
    const fault = options.telemetry.pickFault('sts', request.action);
    if (fault) {
      if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      if (fault.status > 0) return replyError(fault);
    }
    if (!operation) throw stsErrors.unknownAction(request.action);
    if (request.version !== STS_VERSION) throw stsErrors.invalidVersion(request.version);
    const verified = verifier.verify(request);
    if (!verified.ok) return replyError(verified.error);
    const body = operation(request, verified);
    options.telemetry.countSuccess('sts', request.action);
    return reply(200, { RequestId: requestId, ...body });
  } catch (error) {
    if (error instanceof StsError) return replyError(error);
    if ((error as { code?: unknown })?.code === 'EntityTooLarge') return replyError({ status: 413, code: 'EntityTooLarge', message: (error as Error).message });
    console.error(`sts emulator: ${String((error as Error)?.stack ?? error)}`);
    return replyError({ status: 500, code: 'InternalError', message: 'The request processing has failed due to some unknown error.' });
  }
}

function assumeRole(service: StsService, request: RpcRequest, verified: Verified): Record<string, unknown> {
  const p = request.params;
  const out = service.assumeRole({
    caller: verified.caller,
    roleArn: p.RoleArn,
    roleSessionName: p.RoleSessionName,
    durationSeconds: p.DurationSeconds,
    externalId: p.ExternalId,
    policy: p.Policy,
    context: {
      'acs:SourceIp': request.sourceIp,
      'acs:AccessId': verified.accessKeyId,
      'acs:UserAgent': request.userAgent,
      'acs:SecureTransport': 'false',
    },
  });
  return {
    AssumedRoleUser: { Arn: out.assumedRoleArn, AssumedRoleId: out.assumedRoleId },
    Credentials: {
      AccessKeyId: out.key.accessKeyId,
      AccessKeySecret: out.key.accessKeySecret,
      SecurityToken: out.key.securityToken,
      Expiration: formatAcsDate(out.key.expiration!.getTime()),
    },
  };
}

/** GetCallerIdentity (field names from the SDK model; the exact Arn spellings of real STS are UNVERIFIED). */
function callerIdentity({ caller }: Verified): Record<string, unknown> {
  switch (caller.kind) {
    case 'root':
      return { AccountId: caller.accountId, Arn: caller.arn, IdentityType: 'Account', PrincipalId: caller.accountId, UserId: caller.accountId };
    case 'user':
      return { AccountId: caller.accountId, Arn: caller.arn, IdentityType: 'RAMUser', PrincipalId: caller.userId, UserId: caller.userId };
    default:
      return {
        AccountId: caller.accountId,
        Arn: `acs:ram::${caller.accountId}:assumed-role/${caller.roleName}/${caller.sessionName}`,
        IdentityType: 'AssumedRoleUser',
        PrincipalId: `${caller.roleName}:${caller.sessionName}`,
        RoleId: caller.roleName,
      };
  }
}
