// The offline IMM (2020-09-30): an HTTP server @alicloud/openapi-core (and the generated IMM SDK) talks to
// unchanged. Layers: http.ts (RPC, ACS3 signatures via ../acs3, JSON) | ImmService.ts + actions/ (what an
// operation means, RAM-authorized) | DataAccess.ts (IMM's own identity: the project's service role,
// assumed through the offline STS, reading and writing OSS over HTTP so the bucket policy decides) |
// ProjectRegistry.ts and tasks.ts (state; tasks run in a queue, media work through ffmpeg.ts). Objects are
// streamed, never held whole except within MemoryBudget.ts.
// Point a client at it with `endpoint: '127.0.0.1:PORT', protocol: 'http'`.
// The same server answers GET /office/… with the WebOffice viewer that GenerateWebofficeToken's URL opens (weboffice/).
import { createServer, type Server } from 'node:http';
import type { Ram } from '../ram';
import { listen, type RunningServer } from '../server';
import type { StsService } from '../sts';
import type { Telemetry } from '../telemetry';
import { DataAccess } from './DataAccess';
import { createImmHandler } from './http';
import { MemoryBudget, type MemoryBudgetOptions } from './MemoryBudget';
import { ImmService } from './ImmService';
import { createFfmpegRunner } from './ffmpeg';
import { createOssReader, type ObjectReader } from './ossReader';
import { createOssWriter, type ObjectWriter } from './ossWriter';
import { ProjectRegistry, type Project } from './ProjectRegistry';
import { createTaskRegistry, type TaskDoneHook, type TaskInfo } from './tasks';
import { createViewer, WebofficeTokenStore } from './weboffice';

export { IMM_SERVICE_PRINCIPAL, IMM_SESSION_NAME } from './DataAccess';
export { ImmError } from './errors';
export { DEFAULT_MEMORY_CAP_BYTES, MemoryBudget, type MemoryBudgetOptions } from './MemoryBudget';
export { killChildren } from './processes';
export type { ObjectBody, ObjectReader, ReaderCredentials } from './ossReader';
export type { ObjectWriter } from './ossWriter';
export type { TaskDoneHook, TaskInfo, TaskNotification, TaskStatus } from './tasks';
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
  /** Replaces the ali-oss writer, e.g. in unit tests. */
  writeObject?: ObjectWriter;
  /** Called with the final task when a task created with a Notification finishes (MNS is wired in by the stack). */
  onTaskDone?: TaskDoneHook;
  /** How many media tasks run at once (default 2). */
  taskConcurrency?: number;
  /** Default: the @ffmpeg-installer/ffmpeg binary. */
  ffmpegPath?: string;
  /** WebOffice token lifetimes; IMM's are 30 minutes (access) and 1 day (refresh). */
  weboffice?: WebofficeTokenLifetimes;
  /** The bytes IMM may hold in memory at once, and how long a request waits for them (MemoryBudget; 64 MiB, 30 s). */
  memory?: MemoryBudgetOptions;
  now?: () => number;
}

export interface WebofficeTokenLifetimes {
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
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
  /** Administration of asynchronous tasks; no authorization. */
  tasks: {
    get(accountId: string, projectName: string, taskId: string): TaskInfo | undefined;
    /** Resolves once every queued task has finished. */
    idle(): Promise<void>;
  };
  start(port: number, host?: string): Promise<RunningServer>;
}

export function createImmEmulator(options: ImmEmulatorOptions): ImmEmulator {
  const registry = new ProjectRegistry(options.region);
  const data = new DataAccess({
    sts: options.sts,
    reader: options.readObject ?? createOssReader(options.ossEndpoint, options.region),
    writer: options.writeObject ?? createOssWriter(options.ossEndpoint, options.region),
    memory: new MemoryBudget(options.memory),
    now: options.now,
  });
  const tasks = createTaskRegistry({ concurrency: options.taskConcurrency, onTaskDone: options.onTaskDone, now: options.now });
  const ffmpeg = createFfmpegRunner({ path: options.ffmpegPath });
  // One store for the actions that issue tokens and the viewer that accepts them.
  const weboffice = new WebofficeTokenStore({ ...options.weboffice, now: options.now });
  const service = new ImmService({ ram: options.ram, projects: registry, data, region: options.region, now: options.now, tasks, ffmpeg, weboffice });
  const viewer = createViewer({ tokens: weboffice, data });
  const server = createServer(createImmHandler({ ram: options.ram, service, telemetry: options.telemetry, region: options.region, now: options.now, viewer }));
  return {
    server,
    service,
    projects: {
      create: (accountId, name, serviceRole) => registry.create(accountId, name, serviceRole),
      get: (accountId, name) => registry.get(accountId, name),
      delete: (accountId, name) => registry.delete(accountId, name),
      list: (accountId) => registry.list(accountId),
    },
    tasks: {
      get: (accountId, projectName, taskId) => {
        const project = registry.get(accountId, projectName);
        return project && tasks.get(project, taskId);
      },
      idle: () => tasks.idle(),
    },
    start: (port, host = '127.0.0.1') => listen(server, port, host),
  };
}
