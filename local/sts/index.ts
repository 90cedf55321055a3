// The offline STS (2015-04-01): an HTTP server @alicloud/sts20150401 talks to unchanged, plus in-process
// service assumption for FC and IMM. Layers: http.ts (RPC, ACS3 signatures via ../acs3, JSON) |
// StsService.ts (what AssumeRole means, authorized through RAM) | state in ../ram.ts.
// Point the SDK at it with `endpoint: '127.0.0.1:PORT', protocol: 'http'`.
import { createServer, type Server } from 'node:http';
import type { Ram } from '../ram';
import { listen, type RunningServer } from '../server';
import type { Telemetry } from '../telemetry';
import { createStsHandler } from './http';
import { StsService } from './StsService';

export { NO_PERMISSION_MESSAGE, StsError, type AccessDeniedDetail } from './errors';
export { DEFAULT_DURATION_SECONDS, MAX_SESSION_POLICY_CHARS, MIN_DURATION_SECONDS, StsService, type AssumeRoleInput, type AssumeRoleOutput } from './StsService';

export interface StsEmulatorOptions {
  ram: Ram;
  telemetry: Telemetry;
  /** The stack's region; STS itself is global (`sts.aliyuncs.com`), so it is informational. */
  region: string;
  now?: () => number;
}

export interface StsEmulator {
  server: Server;
  service: StsService;
  start(port: number, host?: string): Promise<RunningServer>;
}

export function createStsEmulator(options: StsEmulatorOptions): StsEmulator {
  const service = new StsService(options.ram, options.now);
  const server = createServer(createStsHandler({ ram: options.ram, service, telemetry: options.telemetry, now: options.now }));
  return { server, service, start: (port, host = '127.0.0.1') => listen(server, port, host) };
}
