// The offline IMM (2020-09-30): an HTTP server @alicloud/openapi-core (and the generated IMM SDK) talks to
// unchanged. Layers: http.ts (RPC, ACS3 signatures via ../acs3, JSON) | ImmService.ts + actions/ (what an
// operation means, RAM-authorized) | DataAccess.ts (IMM's own identity: the project's service role,
// assumed through the offline STS, reading OSS over HTTP so the bucket policy decides) | ProjectRegistry.ts
// (state). Point a client at it with `endpoint: '127.0.0.1:PORT', protocol: 'http'`.
import { createServer, type Server } from 'node:http';
import type { Ram } from '../ram';
import { listen, type RunningServer } from '../server';
import type { StsService } from '../sts';
import type { Telemetry } from '../telemetry';
import { DataAccess } from './DataAccess';
import { createImmHandler } from './http';
import { ImmService } from './ImmService';
import { createOssReader, type ObjectReader } from './ossReader';
import { ProjectRegistry, type Project } from './ProjectRegistry';

export { IMM_SERVICE_PRINCIPAL, IMM_SESSION_NAME } from './DataAccess';
export { ImmError } from './errors';
export type { ObjectReader, ReaderCredentials } from './ossReader';
export type { Project } from './ProjectRegistry';
export { ImageDecodeError, scoreImage, type ImageQuality } from './score';

export interface ImmEmulatorOptions {
  ram: Ram;
  telemetry: Telemetry;
  region: string;
  sts: StsService;
  /** Where IMM reads objects, e.g. `http://localhost:9100`. */
  ossEndpoint: string;
  /** Replaces the ali-oss reader, e.g. in unit tests. */
  readObject?: ObjectReader;
  now?: () => number;
}

export interface ImmEmulator {
  server: Server;
  service: ImmService;
  /** Administration for seeding and tests; no authorization. */
  projects: {
    create(accountId: string, name: string, serviceRole?: string): Project;
    get(accountId: string, name: string): Project | undefined;
    delete(accountId: string, name: string): boolean;
    list(accountId?: string): Project[];
  };
  start(port: number, host?: string): Promise<RunningServer>;
}

export function createImmEmulator(options: ImmEmulatorOptions): ImmEmulator {
  const registry = new ProjectRegistry(options.region);
  const data = new DataAccess({ sts: options.sts, reader: options.readObject ?? createOssReader(options.ossEndpoint, options.region), now: options.now });
  const service = new ImmService({ ram: options.ram, projects: registry, data, region: options.region, now: options.now });
  const server = createServer(createImmHandler({ ram: options.ram, service, telemetry: options.telemetry, region: options.region, now: options.now }));
  return {
    server,
    service,
    projects: {
      create: (accountId, name, serviceRole) => registry.create(accountId, name, serviceRole),
      get: (accountId, name) => registry.get(accountId, name),
      delete: (accountId, name) => registry.delete(accountId, name),
      list: (accountId) => registry.list(accountId),
    },
    start: (port, host = '127.0.0.1') => listen(server, port, host),
  };
}
