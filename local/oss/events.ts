// The record OSS hands to an FC OSS trigger (reference/local-stack.md §6, sample from devsapp/start-fc).
// Delivery, trigger matching (prefix/suffix, `oss:`-prefixed event filters) and retries belong to the
// FC runner (local/fc.ts); this module only builds the record.
import { createHash } from 'node:crypto';
import type { Caller } from '../ram';
import type { BucketRecord, ObjectRecord } from './store';

export type ObjectCreatedEventName = 'ObjectCreated:PutObject' | 'ObjectCreated:CopyObject';

/** One element of `events` in the payload FC delivers. `eventName` carries no `oss:` prefix. */
export interface OssEventRecord {
  eventName: ObjectCreatedEventName;
  eventSource: 'acs:oss';
  /** ISO-8601. */
  eventTime: string;
  eventVersion: '1.0';
  oss: {
    bucket: { arn: string; name: string; ownerIdentity: string; virtualBucket: '' };
    object: {
      /** New size minus the size of the object it replaced (the full size for a new key). */
      deltaSize: number;
      /** Upper-case hex MD5, without quotes. */
      eTag: string;
      /**
       * The plain object key. Real OSS may URL-encode special characters in event keys: UNVERIFIED
       * (reference §6), so the emulator delivers the key exactly as stored.
       */
      key: string;
      size: number;
    };
    ossSchemaVersion: '1.0';
    ruleId: string;
  };
  region: string;
  requestParameters: { sourceIPAddress: string };
  responseElements: { requestId: string };
  userIdentity: { principalId: string };
}

export interface ObjectCreatedInput {
  eventName: ObjectCreatedEventName;
  bucket: BucketRecord;
  region: string;
  object: ObjectRecord;
  previousSize?: number;
  caller: Caller;
  sourceIp: string;
  requestId: string;
  time: number;
}

export function objectCreatedRecord(input: ObjectCreatedInput): OssEventRecord {
  const { bucket, object } = input;
  return {
    eventName: input.eventName,
    eventSource: 'acs:oss',
    eventTime: new Date(input.time).toISOString(),
    eventVersion: '1.0',
    oss: {
      bucket: { arn: `acs:oss:${input.region}:${bucket.ownerUid}:${bucket.name}`, name: bucket.name, ownerIdentity: bucket.ownerUid, virtualBucket: '' },
      object: { deltaSize: object.size - (input.previousSize ?? 0), eTag: object.etag, key: object.key, size: object.size },
      ossSchemaVersion: '1.0',
      // Real rule ids are opaque 40-hex strings; one stable id per bucket stands in for the notification rule.
      ruleId: createHash('sha1').update(`oss-trigger:${bucket.name}`).digest('hex'),
    },
    region: input.region,
    requestParameters: { sourceIPAddress: input.sourceIp },
    responseElements: { requestId: input.requestId },
    userIdentity: { principalId: principalId(input.caller) },
  };
}

/**
 * The sample payload shows the account uid for a root caller. What real OSS puts here for RAM users and
 * role sessions is UNVERIFIED; the emulator uses the user id and `<account>:<session>` respectively.
 */
function principalId(caller: Caller): string {
  switch (caller.kind) {
    case 'root':
      return caller.accountId ?? '';
    case 'user':
      return caller.userId ?? caller.accountId ?? '';
    case 'role-session':
      return `${caller.accountId ?? ''}:${caller.sessionName ?? ''}`;
    case 'anonymous':
      return 'anonymous';
    default:
      return caller.arn;
  }
}
