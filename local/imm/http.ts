// Protocol layer of the offline IMM: RPC over HTTP as @alicloud/openapi-core sends it for IMM 2020-09-30 —
// POST / with `x-acs-action` and `x-acs-version`, parameters in the query (JSON strings for structured
// ones; a form body is merged in), ACS3-HMAC-SHA256 signatures — and JSON answers. Per request:
// injected fault → count → action/version → signature → service → JSON. Every error is written here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAcs3Verifier, errorBody, newRequestId, readRpcRequest, sendJson, type Acs3Error } from '../acs3';
import type { Ram } from '../ram';
import type { Telemetry } from '../telemetry';
import { ImmError, immErrors } from './errors';
import type { ImmService } from './ImmService';

export const IMM_VERSION = '2020-09-30';

export interface ImmHandlerOptions {
  ram: Ram;
  service: ImmService;
  telemetry: Telemetry;
  region: string;
  now?: () => number;
}

export function createImmHandler(options: ImmHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const verifier = createAcs3Verifier({ ram: options.ram, now: options.now });
  const hostId = `imm.${options.region}.aliyuncs.com`;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const replyError = (error: Acs3Error) => sendJson(res, error.status, errorBody(error, requestId, hostId, 'imm'), requestId);
    try {
      // Media bodies never travel in the request (objects are read from OSS), so 1 MiB is plenty.
      const request = await readRpcRequest(req, 1024 * 1024);
      const known = options.service.has(request.action);
      const fault = options.telemetry.pickFault('imm', request.action);
      options.telemetry.countCall('imm', known ? request.action : 'Unknown');
      if (fault) {
        if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
        if (fault.status > 0) return replyError(fault);
      }
      if (!known) throw immErrors.unknownAction(request.action);
      if (request.version !== IMM_VERSION) throw immErrors.invalidVersion(request.version);
      const verified = verifier.verify(request);
      if (!verified.ok) return replyError(verified.error);
      const body = await options.service.call({
        action: request.action,
        caller: verified.caller,
        accessKeyId: verified.accessKeyId,
        params: request.params,
        sourceIp: request.sourceIp,
        userAgent: request.userAgent,
        requestId,
      });
      options.telemetry.countSuccess('imm', request.action);
      return sendJson(res, 200, { RequestId: requestId, ...body }, requestId);
    } catch (error) {
      if (error instanceof ImmError) return replyError(error);
      if ((error as { code?: unknown })?.code === 'EntityTooLarge') return replyError({ status: 413, code: 'EntityTooLarge', message: (error as Error).message });
      console.error(`imm emulator: ${String((error as Error)?.stack ?? error)}`);
      return replyError(immErrors.internal('see the emulator log'));
    }
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      // handle() answers every error itself; reaching here means the socket broke mid-response.
      console.error(`imm emulator: ${String((error as Error)?.message ?? error)}`);
      res.destroy();
    });
  };
}
