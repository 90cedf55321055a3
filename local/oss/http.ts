// Protocol layer, part 3: the HTTP adapter. For every request: parse → route to an operation → count it
// and apply injected faults → authenticate → run the service → write headers/XML. Every OssError, from
// any layer, is written here and only here, as OSS's XML error body (or the `x-oss-err` header on HEAD).
// Bodies (body.ts): an object body is read only by the service, after authorization, and streamed to disk;
// GetObject streams from disk; small XML bodies are buffered within one budget for the whole emulator.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Ram } from '../ram';
import type { Telemetry } from '../telemetry';
import { authenticate } from './authenticate';
import { BufferBudget, readBuffered, streamBody, type BufferLease } from './body';
import { OssError, ossErrors } from './errors';
import {
  continuationToken,
  MAX_POLICY_BYTES,
  POLICY_TOO_LARGE_EC,
  type AclResult,
  type CallContext,
  type ListPage,
  type ObjectFields,
  type OssService,
  type Preconditions,
} from './OssService';
import { headerValue, parseRequest, type OssHttpRequest } from './request';
import { V1_SUBRESOURCES } from './signature';
import type { ObjectBytes, ObjectRecord, Tags } from './store';
import { parseTaggingHeader, parseTaggingXml, tagSetXml, type TagList } from './tags';
import { errorXml, parseXml, toXml } from './xml';

export interface HandlerOptions {
  service: OssService;
  ram: Ram;
  telemetry: Telemetry;
  region: string;
  now: () => number;
  /** Largest PutObject body accepted (default 5 GB, OSS's PutObject limit); bodies stream to disk. */
  maxObjectBytes?: number;
  /** Bytes of small request bodies (XML, policies) held in memory at once across all requests (default 32 MiB). */
  maxBufferedBytes?: number;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** An open object is streamed (and released) by sendReply. */
  body?: Buffer | string | { bytes: ObjectBytes; range?: { start: number; end: number } };
}

/** Reads the whole (small) request body within `limit` bytes and the emulator's buffer budget. */
type ReadSmall = (limit: number) => Promise<Buffer>;

interface Route {
  /** The OSS API name, as counted in telemetry (`oss:PutObject`) and matched by fault rules. */
  action: string;
  run(ctx: CallContext): Promise<Reply>;
}

/** "The size of the object to upload cannot exceed 5 GB" (OSS PutObject API reference). */
const DEFAULT_MAX_OBJECT_BYTES = 5 * 1024 * 1024 * 1024;
/** Enough for 16 multi-delete bodies at their 2 MiB limit at once. */
const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;
const MAX_DELETE_BYTES = 2 * 1024 * 1024;
const MAX_VERSIONING_BYTES = 64 * 1024;
/** A `<Tagging>` body of 20 tags of the longest keys and values is well under this. */
const MAX_TAGGING_BYTES = 64 * 1024;
/** Headers OSS stores with an object and returns on GET/HEAD. */
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
/** `response-*` query parameters override these response headers on GET. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};
/** Signed sub-resources that do not change which operation a request is. */
const NEUTRAL_SUBRESOURCES = new Set(['security-token', 'x-oss-traffic-limit', 'x-oss-request-payer', ...Object.keys(RESPONSE_OVERRIDES)]);

export function createRequestHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const budget = new BufferBudget(options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
  return (req, res) => {
    handle(options, budget.lease(), req, res).catch((error: unknown) => {
      // handle() writes every error itself; reaching here means the socket broke mid-response.
      console.error(`oss emulator: ${String((error as Error)?.message ?? error)}`);
      res.destroy();
    });
  };
}

async function handle(options: HandlerOptions, lease: BufferLease, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(12).toString('hex').toUpperCase();
  const host = req.headers.host ?? '';
  let action = 'Unknown';
  try {
    const request = parseRequest(req);
    const route = routeFor(options, request, req, lease);
    action = route.action;
    options.telemetry.countCall('oss', action);
    const fault = options.telemetry.pickFault('oss', action);
    if (fault) {
      if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      if (fault.status > 0) throw new OssError(fault.status, fault.code, fault.message);
    }
    const auth = authenticate(request, options.ram, options.region, options.now());
    const reply = await route.run({
      caller: auth.caller,
      accessKeyId: auth.accessKeyId,
      sourceIp: request.sourceIp,
      userAgent: request.userAgent,
      requestId,
    });
    await sendReply(res, requestId, reply);
  } catch (error) {
    if (action === 'Unknown') options.telemetry.countCall('oss', action);
    const ossError = error instanceof OssError ? error : unexpected(error);
    // A body still on its way (a refused upload) is not read at all: the answer closes the connection instead.
    sendError(res, req.method === 'HEAD', requestId, host, ossError, hasBody(req) && !req.complete);
  } finally {
    lease.release();
    // A body that arrived whole but was not read is drained, so a keep-alive connection stays usable.
    if (req.complete && !req.readableEnded) req.resume();
  }
}

/** Whether the request announced a body (a GET without one may not have been marked complete yet). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length === undefined ? req.headers['transfer-encoding'] !== undefined : length !== '0';
}

function unexpected(error: unknown): OssError {
  // A client that drops the connection mid-upload: nobody is left to read the answer, and it is no emulator fault.
  if ((error as { code?: string })?.code === 'ECONNRESET') return ossErrors.internal('the client closed the connection before sending the whole body');
  console.error('oss emulator: unexpected error', error);
  return ossErrors.internal(`The local OSS emulator failed: ${String((error as Error)?.message ?? error)}`);
}

// ---- routing -------------------------------------------------------------------------------------

function routeFor(options: HandlerOptions, r: OssHttpRequest, req: IncomingMessage, lease: BufferLease): Route {
  const { service } = options;
  const readSmall: ReadSmall = (limit) => readBuffered(req, limit, lease);
  const bucket = r.bucket;
  if (bucket === undefined) return notImplemented(r.method === 'GET' ? 'ListBuckets' : 'NotImplemented', `\`${r.method} /\` (service-level APIs)`);

  if (r.key === undefined) {
    if (r.params.has('policy')) {
      switch (r.method) {
        case 'PUT':
          return {
            action: 'PutBucketPolicy',
            run: async (ctx) => {
              const body = await readBuffered(req, MAX_POLICY_BYTES, lease).catch((error: unknown) => {
                if ((error as { code?: string }).code === 'EntityTooLarge') throw ossErrors.invalidPolicy(`The bucket policy exceeds ${MAX_POLICY_BYTES} bytes.`, POLICY_TOO_LARGE_EC);
                throw error;
              });
              await service.putBucketPolicy(ctx, bucket, body.toString('utf8'));
              return { status: 200 };
            },
          };
        case 'GET':
          return {
            action: 'GetBucketPolicy',
            run: async (ctx) => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: await service.getBucketPolicy(ctx, bucket) }),
          };
        case 'DELETE':
          return {
            action: 'DeleteBucketPolicy',
            run: async (ctx) => {
              await service.deleteBucketPolicy(ctx, bucket);
              return { status: 204 };
            },
          };
        default:
          return notImplemented('NotImplemented', `\`${r.method} /${bucket}/?policy\``);
      }
    }
    if (r.method === 'POST' && r.params.has('delete')) {
      return { action: 'DeleteMultipleObjects', run: (ctx) => deleteMultiple(service, ctx, bucket, r, readSmall) };
    }
    if (onlySubresource(r, 'acl')) {
      if (r.method === 'PUT') {
        return {
          action: 'PutBucketAcl',
          run: async (ctx) => {
            await service.putBucketAcl(ctx, bucket, r.headers['x-oss-acl']);
            return { status: 200, headers: { Location: `/${bucket}` } };
          },
        };
      }
      if (r.method === 'GET') return { action: 'GetBucketAcl', run: async (ctx) => aclReply(await service.getBucketAcl(ctx, bucket)) };
    }
    if (onlySubresource(r, 'versioning')) {
      if (r.method === 'PUT') return { action: 'PutBucketVersioning', run: (ctx) => putBucketVersioning(service, ctx, bucket, readSmall) };
      if (r.method === 'GET') {
        return {
          action: 'GetBucketVersioning',
          run: async (ctx) => {
            // A bucket that was never versioned answers without <Status> (OSS GetBucketVersioning).
            const status = await service.getBucketVersioning(ctx, bucket);
            return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: toXml('VersioningConfiguration', { Status: status }) };
          },
        };
      }
    }
    if (r.method === 'GET' && onlySubresource(r, 'versions')) {
      return { action: 'ListObjectVersions', run: (ctx) => listVersions(service, ctx, bucket, r) };
    }
    if (onlySubresource(r, 'tagging')) {
      switch (r.method) {
        case 'PUT':
          return {
            action: 'PutBucketTags',
            run: async (ctx) => {
              await service.putBucketTags(ctx, bucket, await readTagging(readSmall));
              return { status: 200 };
            },
          };
        case 'GET':
          return { action: 'GetBucketTags', run: async (ctx) => taggingReply(await service.getBucketTags(ctx, bucket)) };
        case 'DELETE':
          return {
            action: 'DeleteBucketTags',
            run: async (ctx) => {
              const keys = r.params.get('tagging');
              await service.deleteBucketTags(ctx, bucket, keys ? keys.split(',') : undefined);
              return { status: 204 };
            },
          };
      }
    }
    const sub = operationSubresource(r, ['continuation-token']);
    if (r.method === 'GET' && sub === undefined) {
      return r.params.get('list-type') === '2'
        ? { action: 'ListObjectsV2', run: (ctx) => listV2(service, ctx, bucket, r) }
        : { action: 'ListObjects', run: (ctx) => listV1(service, ctx, bucket, r) };
    }
    return notImplemented('NotImplemented', `\`${r.method} /${bucket}/${sub === undefined ? '' : `?${sub}`}\``);
  }

  const key = r.key;
  const h = r.headers;
  if (onlySubresource(r, 'acl')) {
    if (r.method === 'PUT') {
      return {
        action: 'PutObjectAcl',
        run: async (ctx) => {
          await service.putObjectAcl(ctx, bucket, key, h['x-oss-object-acl']);
          return { status: 200 };
        },
      };
    }
    if (r.method === 'GET') return { action: 'GetObjectAcl', run: async (ctx) => aclReply(await service.getObjectAcl(ctx, bucket, key)) };
  }
  if (onlySubresource(r, 'tagging')) {
    switch (r.method) {
      case 'PUT':
        return {
          action: 'PutObjectTagging',
          run: async (ctx) => {
            await service.putObjectTagging(ctx, bucket, key, await readTagging(readSmall));
            return { status: 200 };
          },
        };
      case 'GET':
        return { action: 'GetObjectTagging', run: async (ctx) => taggingReply(await service.getObjectTagging(ctx, bucket, key)) };
      case 'DELETE':
        return {
          action: 'DeleteObjectTagging',
          run: async (ctx) => {
            await service.deleteObjectTagging(ctx, bucket, key);
            return { status: 204 };
          },
        };
    }
  }
  const sub = operationSubresource(r, r.method === 'PUT' ? [] : ['versionId']);
  if (sub !== undefined) return notImplemented('NotImplemented', `\`${r.method}\` on an object with \`?${sub}\``);
  const versionId = r.params.get('versionId') ?? undefined;
  switch (r.method) {
    case 'PUT':
      if (h['x-oss-copy-source'] !== undefined) return { action: 'CopyObject', run: (ctx) => copyObject(service, ctx, bucket, key, r) };
      return {
        action: 'PutObject',
        run: async (ctx) => {
          const record = await service.putObject(ctx, bucket, key, {
            // Lazy: the service reads it only once the caller is authorized.
            body: streamBody(req, options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES),
            contentMd5: h['content-md5'],
            forbidOverwrite: isTrue(h['x-oss-forbid-overwrite']),
            acl: h['x-oss-object-acl'],
            tags: requestTags(h),
            ...objectFields(h),
          });
          return { status: 200, headers: { ETag: `"${record.etag}"`, 'Content-MD5': md5Base64(record.etag), ...versionHeader(record) } };
        },
      };
    case 'GET':
      return { action: 'GetObject', run: (ctx) => getObject(service, ctx, bucket, key, r, versionId) };
    case 'HEAD':
      return {
        action: 'HeadObject',
        run: async (ctx) => {
          const { record, notModified } = await service.headObject(ctx, bucket, key, preconditions(h, ''), versionId);
          return { status: notModified ? 304 : 200, headers: objectHeaders(record) };
        },
      };
    case 'DELETE':
      return {
        action: 'DeleteObject',
        run: async (ctx) => {
          const outcome = await service.deleteObject(ctx, bucket, key, versionId);
          const headers: Record<string, string> = {};
          if (outcome.versionId !== undefined) headers['x-oss-version-id'] = outcome.versionId;
          if (outcome.deleteMarker) headers['x-oss-delete-marker'] = 'true';
          return { status: 204, headers };
        },
      };
    default:
      return notImplemented('NotImplemented', `\`${r.method}\` on an object`);
  }
}

/** A sub-resource that selects another API (uploads, acl, tagging, x-oss-process, …), which the emulator does not serve. */
function operationSubresource(r: OssHttpRequest, allowed: string[]): string | undefined {
  return [...r.params.keys()].find((name) => V1_SUBRESOURCES.has(name) && !NEUTRAL_SUBRESOURCES.has(name) && !allowed.includes(name));
}

/** `?acl`, `?tagging`: the sub-resource is present and no other one selects another API (`?acl&versionId=…` is not served). */
function onlySubresource(r: OssHttpRequest, name: string): boolean {
  return r.params.has(name) && operationSubresource(r, [name]) === undefined;
}

/** Runs after authentication, so an unsigned probe of an unsupported API still gets the auth error first. */
function notImplemented(action: string, what: string): Route {
  return {
    action,
    run: () => Promise.reject(ossErrors.notImplemented(what)),
  };
}

// ---- operations ----------------------------------------------------------------------------------

async function getObject(service: OssService, ctx: CallContext, bucket: string, key: string, r: OssHttpRequest, versionId: string | undefined): Promise<Reply> {
  const h = r.headers;
  const result = await service.getObject(ctx, bucket, key, {
    versionId,
    range: h.range,
    standardRange: (h['x-oss-range-behavior'] ?? '').toLowerCase() === 'standard',
    conditions: preconditions(h, ''),
  });
  const headers = objectHeaders(result.record);
  if (result.kind === 'notModified') return { status: 304, headers };
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = r.params.get(param);
    if (value) headers[header] = headerValue(value);
  }
  if (result.kind === 'partial') {
    headers['Content-Range'] = `bytes ${result.start}-${result.end}/${result.record.size}`;
    delete headers['Content-MD5'];
    return { status: 206, headers, body: { bytes: result.body, range: { start: result.start, end: result.end } } };
  }
  return { status: 200, headers, body: { bytes: result.body } };
}

async function copyObject(service: OssService, ctx: CallContext, bucket: string, key: string, r: OssHttpRequest): Promise<Reply> {
  const h = r.headers;
  const directive = (h['x-oss-metadata-directive'] ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw ossErrors.invalidArgument('x-oss-metadata-directive must be COPY or REPLACE.', 'x-oss-metadata-directive', h['x-oss-metadata-directive']);
  }
  const taggingDirective = (h['x-oss-tagging-directive'] ?? 'COPY').toUpperCase();
  if (taggingDirective !== 'COPY' && taggingDirective !== 'REPLACE') {
    throw ossErrors.invalidArgument('x-oss-tagging-directive must be Copy or Replace.', 'x-oss-tagging-directive', h['x-oss-tagging-directive']);
  }
  const result = await service.copyObject(ctx, bucket, key, {
    source: parseCopySource(h['x-oss-copy-source']),
    directive,
    forbidOverwrite: isTrue(h['x-oss-forbid-overwrite']),
    sourceConditions: preconditions(h, 'x-oss-copy-source-'),
    acl: h['x-oss-object-acl'],
    taggingDirective,
    tags: requestTags(h),
    ...objectFields(h),
  });
  if (result === 'notModified') return { status: 304 };
  return {
    status: 200,
    headers: { 'Content-Type': 'application/xml', ETag: `"${result.etag}"`, ...versionHeader(result) },
    body: toXml('CopyObjectResult', { ETag: `"${result.etag}"`, LastModified: result.lastModified }),
  };
}

/** `POST /<bucket>/?delete` with `<Delete><Quiet/><Object><Key/></Object>…</Delete>`; OSS requires Content-MD5 here. */
async function deleteMultiple(service: OssService, ctx: CallContext, bucket: string, r: OssHttpRequest, readSmall: ReadSmall): Promise<Reply> {
  const body = await readSmall(MAX_DELETE_BYTES);
  const md5 = r.headers['content-md5'];
  if (md5 === undefined) throw ossErrors.missingContentMd5();
  if (createHash('md5').update(body).digest('base64') !== md5) throw ossErrors.invalidDigest('The Content-MD5 you specified did not match what we received.');
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(body.toString('utf8'), ['Delete.Object']);
  } catch (error) {
    throw ossErrors.malformedXml(String((error as Error).message ?? error));
  }
  const root = doc.Delete as { Quiet?: unknown; Object?: { Key?: unknown; VersionId?: unknown }[] } | undefined;
  if (!root || typeof root !== 'object') throw ossErrors.malformedXml('the root element must be <Delete>');
  const objects = root.Object ?? [];
  if (objects.some((o) => o.VersionId !== undefined)) throw ossErrors.notImplemented('deleting specific object versions');
  const keys = objects.map((o) => (typeof o.Key === 'string' ? o.Key : ''));
  const deleted = await service.deleteObjects(ctx, bucket, keys);
  const quiet = String(root.Quiet ?? 'false').trim().toLowerCase() === 'true';
  return {
    status: 200,
    headers: { 'Content-Type': 'application/xml' },
    body: toXml('DeleteResult', { Deleted: quiet ? [] : deleted.map((key) => ({ Key: key })) }),
  };
}

/** `x-oss-copy-source: /<bucket>/<url-encoded key>` (ali-oss encodes `/` in the key as `%2F`). */
function parseCopySource(value: string): { bucket: string; key: string } {
  const invalid = () => ossErrors.invalidArgument('x-oss-copy-source must be `/<bucket>/<url-encoded key>`.', 'x-oss-copy-source', value);
  if (!value.startsWith('/')) throw invalid();
  const rest = value.slice(1);
  const slash = rest.indexOf('/');
  if (slash <= 0) throw invalid();
  const encodedKey = rest.slice(slash + 1);
  if (encodedKey.includes('?')) throw ossErrors.notImplemented('copying a specific source version (`?versionId=`)');
  try {
    return { bucket: decodeURIComponent(rest.slice(0, slash)), key: decodeURIComponent(encodedKey) };
  } catch {
    throw invalid();
  }
}

async function listV1(service: OssService, ctx: CallContext, bucket: string, r: OssHttpRequest): Promise<Reply> {
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const marker = param(r, 'marker');
  const maxKeys = parseMaxKeys(param(r, 'max-keys'));
  const page = await service.listObjects(ctx, bucket, { prefix, delimiter, maxKeys, marker });
  const body = toXml('ListBucketResult', {
    Name: bucket,
    Prefix: prefix ?? '',
    Marker: marker ?? '',
    MaxKeys: maxKeys,
    Delimiter: delimiter ?? '',
    IsTruncated: page.isTruncated,
    NextMarker: page.next,
    // ali-oss reads obj.Owner.ID without a guard, so v1 always carries Owner (reference §3).
    Contents: page.contents.map((o) => contentsEntry(o, page, true)),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: p })),
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body };
}

async function listV2(service: OssService, ctx: CallContext, bucket: string, r: OssHttpRequest): Promise<Reply> {
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const startAfter = param(r, 'start-after');
  const token = param(r, 'continuation-token');
  const maxKeys = parseMaxKeys(param(r, 'max-keys'));
  const fetchOwner = isTrue(param(r, 'fetch-owner'));
  const page = await service.listObjectsV2(ctx, bucket, { prefix, delimiter, maxKeys, startAfter, continuationToken: token });
  const body = toXml('ListBucketResult', {
    Name: bucket,
    Prefix: prefix ?? '',
    StartAfter: startAfter,
    ContinuationToken: token,
    MaxKeys: maxKeys,
    Delimiter: delimiter ?? '',
    IsTruncated: page.isTruncated,
    NextContinuationToken: page.next === undefined ? undefined : continuationToken(page.next),
    KeyCount: page.contents.length + page.commonPrefixes.length,
    Contents: page.contents.map((o) => contentsEntry(o, page, fetchOwner)),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: p })),
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body };
}

function contentsEntry(o: ObjectRecord, page: ListPage, withOwner: boolean): Record<string, unknown> {
  return {
    Key: o.key,
    LastModified: o.lastModified,
    ETag: `"${o.etag}"`,
    Type: 'Normal',
    Size: o.size,
    StorageClass: 'Standard',
    Owner: withOwner ? { ID: page.bucket.ownerUid, DisplayName: page.bucket.ownerUid } : undefined,
  };
}

function parseMaxKeys(value: string | undefined): number {
  if (value === undefined || value === '') return 100;
  if (!/^\d+$/.test(value) || Number(value) > 1000) throw ossErrors.invalidArgument('max-keys must be an integer from 0 to 1000.', 'max-keys', value);
  return Number(value);
}

// ---- versioning ----------------------------------------------------------------------------------

/** `<VersioningConfiguration><Status>Enabled|Suspended</Status></VersioningConfiguration>` (OSS PutBucketVersioning; ali-oss putBucketVersioning). */
async function putBucketVersioning(service: OssService, ctx: CallContext, bucket: string, readSmall: ReadSmall): Promise<Reply> {
  const body = await readSmall(MAX_VERSIONING_BYTES);
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(body.toString('utf8'));
  } catch (error) {
    throw ossErrors.malformedXml(String((error as Error).message ?? error));
  }
  const root = doc.VersioningConfiguration as { Status?: unknown } | undefined;
  if (!root || typeof root !== 'object') throw ossErrors.malformedXml('the root element must be <VersioningConfiguration>');
  await service.putBucketVersioning(ctx, bucket, typeof root.Status === 'string' ? root.Status.trim() : '');
  return { status: 200 };
}

/** `GET /?versions` → `<ListVersionsResult>` with `<Version>` and `<DeleteMarker>` entries (OSS ListObjectVersions; ali-oss getBucketVersions). */
async function listVersions(service: OssService, ctx: CallContext, bucket: string, r: OssHttpRequest): Promise<Reply> {
  const prefix = param(r, 'prefix');
  const delimiter = param(r, 'delimiter');
  const keyMarker = param(r, 'key-marker');
  const versionIdMarker = param(r, 'version-id-marker');
  const maxKeys = parseMaxKeys(param(r, 'max-keys'));
  const page = await service.listObjectVersions(ctx, bucket, { prefix, delimiter, keyMarker, versionIdMarker, maxKeys });
  const owner = { ID: page.bucket.ownerUid, DisplayName: page.bucket.ownerUid };
  const entry = ({ record: o, isLatest }: { record: ObjectRecord; isLatest: boolean }) => ({
    Key: o.key,
    VersionId: o.versionId ?? 'null',
    IsLatest: isLatest,
    LastModified: o.lastModified,
    ...(o.deleteMarker ? {} : { ETag: `"${o.etag}"`, Type: 'Normal', Size: o.size, StorageClass: 'Standard' }),
    Owner: owner,
  });
  const body = toXml('ListVersionsResult', {
    Name: bucket,
    Prefix: prefix ?? '',
    KeyMarker: keyMarker ?? '',
    VersionIdMarker: versionIdMarker ?? '',
    MaxKeys: maxKeys,
    Delimiter: delimiter ?? '',
    IsTruncated: page.isTruncated,
    NextKeyMarker: page.nextKeyMarker,
    NextVersionIdMarker: page.nextVersionIdMarker,
    Version: page.versions.filter((v) => !v.record.deleteMarker).map(entry),
    DeleteMarker: page.versions.filter((v) => v.record.deleteMarker).map(entry),
    CommonPrefixes: page.commonPrefixes.map((p) => ({ Prefix: p })),
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body };
}

// ---- ACL and tagging ---------------------------------------------------------------------------

/** `<AccessControlPolicy><Owner/><AccessControlList><Grant/></AccessControlList></AccessControlPolicy>`, for buckets and objects. */
function aclReply(result: AclResult): Reply {
  const body = toXml('AccessControlPolicy', {
    Owner: { ID: result.ownerUid, DisplayName: result.ownerUid },
    AccessControlList: { Grant: result.acl },
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body };
}

/** `<Tagging><TagSet>…</TagSet></Tagging>`; the TagSet is always there, since ali-oss reads `TagSet.Tag` unguarded. */
function taggingReply(tags: Tags): Reply {
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: toXml('Tagging', { TagSet: tagSetXml(tags) }) };
}

async function readTagging(readSmall: ReadSmall): Promise<TagList> {
  return parseTaggingXml((await readSmall(MAX_TAGGING_BYTES)).toString('utf8'));
}

function requestTags(h: Readonly<Record<string, string>>): TagList | undefined {
  const header = h['x-oss-tagging'];
  return header === undefined ? undefined : parseTaggingHeader(header);
}

// ---- headers -------------------------------------------------------------------------------------

function objectFields(h: Readonly<Record<string, string>>): ObjectFields {
  const userMeta: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith('x-oss-meta-')) userMeta[name.slice('x-oss-meta-'.length)] = value;
    else if (STORED_HEADERS.includes(name)) headers[name] = value;
  }
  return { contentType: h['content-type'], userMeta, headers };
}

function objectHeaders(record: ObjectRecord): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': record.contentType,
    'Content-Length': String(record.size),
    ETag: `"${record.etag}"`,
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'Content-MD5': md5Base64(record.etag),
    'x-oss-object-type': 'Normal',
    'x-oss-storage-class': 'Standard',
    ...versionHeader(record),
  };
  for (const [name, value] of Object.entries(record.headers)) headers[name] = headerValue(value);
  for (const [name, value] of Object.entries(record.userMeta)) headers[`x-oss-meta-${name}`] = headerValue(value);
  return headers;
}

/** `x-oss-version-id` once the bucket has been versioned (`null` for a write while Suspended; OSS PutObject, "Versioning"). */
function versionHeader(record: ObjectRecord): Record<string, string> {
  return record.versionId === undefined ? {} : { 'x-oss-version-id': record.versionId };
}

function preconditions(h: Readonly<Record<string, string>>, prefix: string): Preconditions {
  return {
    ifMatch: h[`${prefix}if-match`],
    ifNoneMatch: h[`${prefix}if-none-match`],
    ifModifiedSince: h[`${prefix}if-modified-since`],
    ifUnmodifiedSince: h[`${prefix}if-unmodified-since`],
  };
}

function param(r: OssHttpRequest, name: string): string | undefined {
  const value = r.params.get(name);
  return value === null ? '' : value;
}

function isTrue(value: string | undefined): boolean {
  return (value ?? '').trim().toLowerCase() === 'true';
}

function md5Base64(etag: string): string {
  return /^[0-9A-F]{32}$/.test(etag) ? Buffer.from(etag, 'hex').toString('base64') : createHash('md5').update(etag).digest('base64');
}

// ---- writing -------------------------------------------------------------------------------------

function baseHeaders(requestId: string): Record<string, string> {
  return { 'x-oss-request-id': requestId, Server: 'AliyunOSS' };
}

async function sendReply(res: ServerResponse, requestId: string, reply: Reply): Promise<void> {
  const headers = { ...baseHeaders(requestId), ...reply.headers };
  if (reply.status === 304) delete headers['Content-Length'];
  if (reply.body === undefined) {
    if (headers['Content-Length'] === undefined && reply.status !== 204 && reply.status !== 304) headers['Content-Length'] = '0';
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  if (typeof reply.body === 'object' && !Buffer.isBuffer(reply.body)) {
    const { bytes, range } = reply.body;
    headers['Content-Length'] = String(range ? range.end - range.start + 1 : bytes.size);
    res.writeHead(reply.status, headers);
    try {
      await pipeline(bytes.stream(range), res);
    } catch {
      // The client went away mid-body (or the disk failed): the headers are out, so all that is left is to cut it.
      res.destroy();
    }
    return;
  }
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  headers['Content-Length'] = String(body.length);
  res.writeHead(reply.status, headers);
  res.end(body);
}

/** HEAD responses have no body, so the error XML travels base64-encoded in `x-oss-err` (ali-oss ≥ 6.21 reads it). */
function sendError(res: ServerResponse, isHead: boolean, requestId: string, host: string, error: OssError, closeConnection: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const xml = Buffer.from(errorXml(error, requestId, host), 'utf8');
  const headers: Record<string, string> = { ...baseHeaders(requestId), 'Content-Type': 'application/xml', ...error.headers };
  // Node closes the socket once this answer is out, so the rest of an unread body is never received.
  if (closeConnection) headers.Connection = 'close';
  if (error.ec) headers['x-oss-ec'] = error.ec;
  if (isHead) {
    headers['x-oss-err'] = xml.toString('base64');
    headers['Content-Length'] = '0';
    res.writeHead(error.status, headers);
    res.end();
    return;
  }
  headers['Content-Length'] = String(xml.length);
  res.writeHead(error.status, headers);
  res.end(xml);
}
