// The OSS ACL step (ref §3.3 steps 5–6, §3.5): after the RAM policies and the bucket policy together give an implicit
// deny (never after an explicit one), a data API is decided by the object ACL, or by the bucket ACL when the object ACL
// is `default` (or there is no object yet). public-read grants reads, public-read-write reads and writes, private
// nothing. Management APIs (anything on the bucket itself) are never granted by an ACL (ref §7 V17).
//
// Simplifications, each failing closed:
// - A grant applies to every caller alike: anonymous, other accounts, the owner's RAM users. Real OSS treats the bucket
//   owner apart; here the owner's root is already allowed by the RAM step, and its RAM users need a policy anyway.
// - Only the object APIs that read or write an object's data are data APIs. The object ACL and tagging APIs are not
//   granted by an ACL (UNVERIFIED), nor is ListObjects (whether a public-read bucket may be listed anonymously is
//   UNVERIFIED).
// - Block Public Access (ref §3.6) is not modelled: a public ACL is always honoured (ref §7 V16 is out of scope).
import type { Step } from './explain';
import type { AuthRequest, BucketAcl, Decision, ObjectAcl, OssAcls, Reason } from './types';

export const BUCKET_ACLS: readonly BucketAcl[] = ['private', 'public-read', 'public-read-write'];
export const OBJECT_ACLS: readonly ObjectAcl[] = ['default', ...BUCKET_ACLS];

export function isBucketAcl(value: unknown): value is BucketAcl {
  return (BUCKET_ACLS as readonly unknown[]).includes(value);
}

export function isObjectAcl(value: unknown): value is ObjectAcl {
  return (OBJECT_ACLS as readonly unknown[]).includes(value);
}

export type AclAccess = 'read' | 'write';

/** RAM actions of the data APIs (lower-case), by the access an ACL must grant. HeadObject and friends are oss:GetObject. */
const DATA_ACTIONS: ReadonlyMap<string, AclAccess> = new Map([
  ['oss:getobject', 'read'],
  ['oss:getobjectversion', 'read'],
  ['oss:putobject', 'write'],
  ['oss:appendobject', 'write'],
  ['oss:deleteobject', 'write'],
  ['oss:deleteobjectversion', 'write'],
  ['oss:abortmultipartupload', 'write'],
]);

/** `acs:oss:<region>:<owner>:<bucket>/<key>`: an object, as opposed to a bucket or the service. */
const OBJECT_ARN = /^acs:oss:[^:]*:[^:]*:[^/]+\/./;

/** The access an ACL must grant for this request, or undefined when the request is not a data API. */
export function aclAccess(action: string, resource: string): AclAccess | undefined {
  return OBJECT_ARN.test(resource) ? DATA_ACTIONS.get(action.toLowerCase()) : undefined;
}

/** The reason an ACL grant gives: it has no statement, hence -1. */
export const ACL_REASON: Reason = { policy: 'acl', statement: -1, effect: 'Allow' };

/**
 * The ACL step, given the decision of the policies before it. Only an ImplicitDeny on a data API consults the ACLs; every
 * other case returns the policies' decision unchanged, with a line saying why the ACLs were not consulted.
 */
export function aclStep(request: AuthRequest, acl: OssAcls, policies: Decision): Step {
  if (policies === 'ExplicitDeny') return { decision: policies, reasons: [], line: 'acl: not consulted (an explicit deny is final)' };
  if (policies === 'Allow') return { decision: policies, reasons: [], line: 'acl: not consulted (a policy allows it)' };
  const access = aclAccess(request.action, request.resource);
  if (!access) {
    return {
      decision: 'ImplicitDeny',
      reasons: [],
      line: `acl: not consulted (${request.action} on ${request.resource} is not a data api: acls grant only reads and writes of objects)`,
    };
  }
  const { effective, source } = effectiveAcl(acl);
  const granted = access === 'read' ? effective === 'public-read' || effective === 'public-read-write' : effective === 'public-read-write';
  return granted
    ? { decision: 'Allow', reasons: [ACL_REASON], line: `acl: Allow (${source}, which grants ${access}s)` }
    : { decision: 'ImplicitDeny', reasons: [], line: `acl: ImplicitDeny (${source}, which grants no ${access}s)` };
}

/** The ACL that decides, and how it was reached, e.g. `object ACL default inherits bucket ACL public-read`. */
function effectiveAcl(acl: OssAcls): { effective: BucketAcl | undefined; source: string } {
  // Values from untyped callers are checked here too: an unknown ACL grants nothing.
  const bucket = isBucketAcl(acl.bucket) ? acl.bucket : undefined;
  const bucketName = bucket ?? `unknown \`${String(acl.bucket)}\``;
  if (acl.object === undefined) return { effective: bucket, source: `no object ACL: bucket ACL ${bucketName}` };
  if (!isObjectAcl(acl.object)) return { effective: undefined, source: `object ACL unknown \`${String(acl.object)}\`` };
  if (acl.object === 'default') return { effective: bucket, source: `object ACL default inherits bucket ACL ${bucketName}` };
  return { effective: acl.object, source: `object ACL ${acl.object}${bucket && bucket !== acl.object ? ` overrides bucket ACL ${bucket}` : ''}` };
}
