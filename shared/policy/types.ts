// Public types of the RAM policy engine. The engine has three stages, each a pure function:
// parse (JSON → ParsedPolicy, or problems by path), evaluate (one policy → decision + the statements
// that decided it) and combine (the RAM flows: identity-only, OSS, AssumeRole).

export type PolicyKind = 'identity' | 'bucket' | 'trust';

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export type Effect = 'Allow' | 'Deny';

/** A problem found while parsing or validating a policy, located by a JSON-ish path such as `Statement[1].Condition.IpAddress`. */
export interface PolicyProblem {
  code: string;
  message: string;
  path: string;
}

/** One statement that took part in a decision. `policy` names the policy: `identity[0]`, `session`, `resource`. */
export interface Reason {
  policy: string;
  statement: number;
  sid?: string;
  effect: Effect;
}

/** Condition context: key → value(s). A missing key is `undefined` (see docs/policy-kit.md, "missing condition keys"). */
export type ConditionContext = Record<string, string | readonly string[] | undefined>;

/**
 * The caller of a request.
 * - `acs:ram::<uid>:root`, `acs:ram::<uid>:user/<name>`, `arn:sts::<uid>:assumed-role/<role>/<session>`
 *   (the `acs:ram::<uid>:role/<role>/<session>` spelling is accepted too),
 * - a service name such as `imm.aliyuncs.com` (a cloud service assuming a role),
 * - `*` or `anonymous` for an unsigned request.
 */
export interface AuthRequest {
  principal: string;
  action: string;
  resource: string;
  context?: ConditionContext;
  /** Numeric id of a RAM user, which bucket-policy Principal lists may name. */
  principalUid?: string;
}

export interface Evaluation {
  decision: Decision;
  reasons: Reason[];
}

export interface AuthorizationResult extends Evaluation {
  /** Human-readable, one line per step, e.g. `identity: ImplicitDeny (no statement allows oss:GetObject)`. */
  explanation: string[];
  errors: PolicyProblem[];
}

/** Parsed, validated policy. Opaque to callers: only the engine reads its fields. */
export interface ParsedPolicy {
  readonly kind: PolicyKind;
  readonly statements: readonly ParsedStatement[];
  /** The text of the document, for size checks and display. */
  readonly source: unknown;
}

export interface ParsedStatement {
  readonly index: number;
  readonly sid?: string;
  readonly effect: Effect;
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  /** Bucket policy: list of strings (`[]` already expanded to `["*"]`). */
  readonly bucketPrincipals?: readonly string[];
  /** Trust policy: `{RAM, Service, Federated}`. */
  readonly trustPrincipals?: { readonly RAM: readonly string[]; readonly Service: readonly string[]; readonly Federated: readonly string[] };
  readonly conditions: readonly ParsedCondition[];
}

export interface ParsedCondition {
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

export type ParseResult = { ok: true; policy: ParsedPolicy; problems: PolicyProblem[] } | { ok: false; problems: PolicyProblem[] };

/** What `parsePrincipal` makes of a request's principal string. */
export type PrincipalType = 'root' | 'user' | 'role-session' | 'service' | 'anonymous';

export interface RequestPrincipal {
  type: PrincipalType;
  accountId?: string;
  /** User name (type `user`) or service name (type `service`). */
  name?: string;
  roleName?: string;
  sessionName?: string;
}

export interface IdentityAuthorizationInput {
  request: AuthRequest;
  identityPolicies: readonly ParsedPolicy[];
  sessionPolicy?: ParsedPolicy;
}

export interface OssAuthorizationInput extends IdentityAuthorizationInput {
  bucketPolicy: ParsedPolicy | null;
  /**
   * Ref §7 V7 (UNVERIFIED): read literally, OSS never consults the RAM policies of a caller from another account,
   * so that account's own explicit Deny does not stop a bucket-policy Allow. `true` honours such a Deny. Default false.
   */
  honourCrossAccountCallerDeny?: boolean;
  /**
   * The ACLs of the bucket and of the object (ref §3.3 steps 5–6, §3.5). When given, a data API that no policy allows
   * is decided by the object ACL, or by the bucket ACL when the object ACL is `default` or there is no object yet.
   * Omitted: no ACL step, as before.
   */
  acl?: OssAcls;
}

/** A bucket's canned ACL (`x-oss-acl`). */
export type BucketAcl = 'private' | 'public-read' | 'public-read-write';

/** An object's canned ACL (`x-oss-object-acl`); `default` inherits the bucket ACL. */
export type ObjectAcl = 'default' | BucketAcl;

/** The ACLs the OSS ACL step reads. `object` is absent when the object does not exist (yet). */
export interface OssAcls {
  bucket: BucketAcl;
  object?: ObjectAcl;
}

export interface AssumeRoleAuthorizationInput extends IdentityAuthorizationInput {
  /** The role's trust policy; null (no trust policy) trusts nobody. */
  trustPolicy: ParsedPolicy | null;
}

/** Input of `policy simulate`: raw documents, parsed and checked before anything is evaluated. */
export interface SimulationInput {
  request: AuthRequest;
  identityPolicies: readonly unknown[];
  resourcePolicy: unknown | null;
  sessionPolicy?: unknown;
  /** Bucket and object ACLs, for `oss:` actions only (see OssAuthorizationInput.acl). */
  acl?: OssAcls;
}
