// The offline OSS: an HTTP server the real ali-oss client talks to unchanged. Three layers that do not mix:
//   protocol  request.ts (addressing), signature.ts + authenticate.ts (who signed), http.ts (routing, XML)
//   service   OssService.ts (what an operation means, authorization through RAM and the bucket policy)
//   state     store.ts (contract) + FileStore.ts (object bytes and metadata JSON under dataDir/oss/)
// Point ali-oss at it with `endpoint: 'http://localhost:PORT', sldEnable: true` (path style); the
// `<bucket>.oss-<region>.aliyuncs.com` Host that ali-oss sends for IP endpoints works too.
// Bucket and object ACLs and tags are stored with the bucket and object metadata and take part in authorization
// (OssService.ts lists the condition keys). Bucket versioning is emulated: Put/GetBucketVersioning, a version per
// write (x-oss-forbid-overwrite ignored once versioned), `?versionId=` on GET/HEAD/DELETE, delete markers and
// ListObjectVersions; not on CopyObject sources or DeleteMultipleObjects entries. Not emulated: Block Public Access, and requests from a VPC
// (acs:SourceVpc is always missing).
import { createServer, type Server } from 'node:http';
import type { Ram } from '../ram';
import { listen, type RunningServer } from '../server';
import type { Telemetry } from '../telemetry';
import type { OssEventRecord } from './events';
import { FileStore } from './FileStore';
import { createRequestHandler } from './http';
import { OssService } from './OssService';
import { readAllBytes, type BucketAcl, type BucketRecord, type ObjectAcl, type ObjectRecord, type OssStore, type Tags } from './store';

export type { OssEventRecord } from './events';
export { OssError } from './errors';
export type { BucketAcl, BucketRecord, ObjectAcl, ObjectRecord, OssStore, Tags } from './store';

export interface OssEmulatorOptions {
  ram: Ram;
  telemetry: Telemetry;
  /** Object data and the bucket registry live under `<dataDir>/oss/` and survive restarts. */
  dataDir: string;
  /** e.g. `cn-hangzhou`; V4 signatures must be scoped to it. */
  region: string;
  /** Called for each successful PutObject / CopyObject before the response, to accept (not run) the event; never fails the write. */
  onObjectCreated?: (record: OssEventRecord) => void;
  now?: () => number;
  /** Largest PutObject body, default 5 GB as in OSS (bodies stream to disk, never into memory). */
  maxObjectBytes?: number;
  /** Bytes of small request bodies (XML, policies) buffered at once across all requests, default 32 MiB. */
  maxBufferedBytes?: number;
}

export interface BucketInfo {
  name: string;
  ownerUid: string;
  region: string;
  createdAt: string;
  /** The bucket policy as a parsed JSON document, or null. */
  policy: unknown;
  acl: BucketAcl;
  tags: Tags;
}

export interface OssEmulator {
  server: Server;
  /** Administration for seeding and tests; bypasses authentication and authorization. */
  buckets: {
    /** Idempotent for the same owner, so a restart with the same dataDir can seed again. Throws for another owner. */
    create(name: string, ownerUid: string): Promise<void>;
    /** Validates like PutBucketPolicy (throws listing the problems); null removes the policy. */
    setPolicy(name: string, policy: unknown | null): Promise<void>;
    /** Sets the bucket ACL, as PutBucketAcl does (new buckets are `private`). */
    setAcl(name: string, acl: BucketAcl): Promise<void>;
    get(name: string): Promise<BucketInfo | undefined>;
  };
  /** Direct object access for tests and seeding; emits no events. */
  objects: {
    get(bucket: string, key: string): Promise<{ body: Buffer; record: ObjectRecord } | undefined>;
    list(bucket: string, prefix?: string): Promise<ObjectRecord[]>;
    /** Writes an object without authorization or event (seeding), e.g. a public-read file. */
    put(bucket: string, key: string, body: Buffer, options: { contentType: string; acl?: ObjectAcl }): Promise<void>;
  };
  start(port: number, host?: string): Promise<RunningServer>;
}

export function createOssEmulator(options: OssEmulatorOptions): OssEmulator {
  const now = options.now ?? Date.now;
  const store: OssStore = new FileStore(options.dataDir);
  const service = new OssService({ ram: options.ram, store, region: options.region, now, onObjectCreated: options.onObjectCreated });
  const server = createServer(
    createRequestHandler({
      service,
      ram: options.ram,
      telemetry: options.telemetry,
      region: options.region,
      now,
      maxObjectBytes: options.maxObjectBytes,
      maxBufferedBytes: options.maxBufferedBytes,
    }),
  );
  return {
    server,
    buckets: {
      create: async (name, ownerUid) => {
        await service.createBucket(name, ownerUid);
      },
      setPolicy: (name, policy) => service.setBucketPolicy(name, policy),
      setAcl: (name, acl) => service.setBucketAcl(name, acl),
      get: async (name) => {
        const record = await service.getBucket(name);
        return record ? toInfo(record) : undefined;
      },
    },
    objects: {
      get: async (bucket, key) => {
        const found = await store.getObject(bucket, key);
        return found ? { body: await readAllBytes(found.body), record: found.record } : undefined;
      },
      list: async (bucket, prefix = '') => (await store.listObjects(bucket)).filter((o) => o.key.startsWith(prefix)),
      put: (bucket, key, body, { contentType, acl }) => service.seedObject(bucket, key, body, contentType, acl),
    },
    start: (port, host = '127.0.0.1') => listen(server, port, host),
  };
}

function toInfo(record: BucketRecord): BucketInfo {
  return {
    name: record.name,
    ownerUid: record.ownerUid,
    region: record.region,
    createdAt: record.createdAt,
    policy: record.policy === null ? null : JSON.parse(record.policy),
    acl: record.acl ?? 'private',
    tags: record.tags ?? {},
  };
}
