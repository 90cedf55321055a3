// Protocol layer of the offline IMM: RPC over HTTP as @alicloud/openapi-core sends it for IMM 2020-09-30 —
// POST / with `x-acs-action` and `x-acs-version`, parameters in the query (JSON strings for structured
// ones; a form body is merged in), ACS3-HMAC-SHA256 signatures — and JSON answers. Per request:
// injected fault → count → action/version → signature → service → JSON. Every error is written here.
// GET and HEAD under /office/ go to the WebOffice viewer instead (./weboffice/viewer.ts), before any of that.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAcs3Verifier, errorBody, newRequestId, readRpcRequest, sendJson, type Acs3Error } from '../acs3';
import type { Ram } from '../ram';
import type { Telemetry } from '../telemetry';
import { ImmError, immErrors } from './errors';
import type { ImmService } from './ImmService';
import { isViewerRequest } from './weboffice';

export const IMM_VERSION = '2020-09-30';

export interface ImmHandlerOptions {
  ram: Ram;
  service: ImmService;
  telemetry: Telemetry;
  region: string;
  now?: () => number;
  /** Serves the WebOffice viewer pages (GET /office/…); without it those requests are RPC like any other. */
  viewer?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
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
        host: requestHost(req),
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
    const { viewer } = options;
    (viewer && isViewerRequest(req) ? viewer(req, res) : handle(req, res)).catch((error: unknown) => {
      // handle() answers every error itself; reaching here means the socket broke mid-response.
      console.error(`imm emulator: ${String((error as Error)?.message ?? error)}`);
      res.destroy();
    });
  };
}

/**
 * `host[:port]` as the request reached this server, for URLs that point back at it (WebofficeURL). The Host
 * header is signed by ACS3; anything that is not a plain host name or address falls back to the socket's.
 */
function requestHost(req: IncomingMessage): string {
  const host = req.headers.host ?? '';
  if (/^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(host)) return host;
  const address = req.socket.localAddress ?? '127.0.0.1';
  return `${address.includes(':') ? `[${address}]` : address}:${req.socket.localPort ?? 80}`;
}
