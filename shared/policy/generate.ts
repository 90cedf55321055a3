// Generates every policy the cross-account flow needs (DESIGN §1) from one deployment description,
// each granting the least the flow uses. The local stack seeds itself from exactly these documents.
import { DEFAULT_IMM_SERVICE_ROLE, immGrantStatements, type ImmOperation } from './immGrants';

export { IMM_OPERATIONS, type ImmOperation } from './immGrants';

export interface DeployConfig {
  region: string;
  dataAccountId: string;
  mediaAccountId: string;
  bucket: string;
  inputPrefix: string;
  resultsPrefix: string;
  outputPrefix: string;
  immProject: string;
  operations: readonly ImmOperation[];
  operatorRoleName: string;
  functionRoleName: string;
  externalId: string;
  /** The IMM project's service role in the media account. Default `AliyunIMMDefaultRole`. */
  immServiceRoleName?: string;
  /** The media account's MNS topic IMM publishes task results to (IMM_NOTIFY_TOPIC); none: no notifications. */
  notifyTopic?: string;
  /** The api function's public base URL (its HTTP trigger), which the topic's HTTP subscription pushes to. */
  apiUrl?: string;
  /** How the subscription pushes: default JSON (the message with its id and MD5). */
  notifyContentFormat?: 'XML' | 'JSON' | 'SIMPLIFIED';
  /** Default EXPONENTIAL_DECAY_RETRY: retries for a day, so an api outage loses nothing. */
  notifyStrategy?: 'BACKOFF_RETRY' | 'EXPONENTIAL_DECAY_RETRY';
}

/** The path of the api route that receives the task topic's pushes. */
export const NOTIFICATIONS_PATH = '/notifications/imm';

/**
 * The media account's HTTP subscription of the task topic to the api (MNS Subscribe: Endpoint,
 * NotifyStrategy, NotifyContentFormat; alibabacloud.com/help/doc-detail/27496.htm). It needs no RAM grant: MNS
 * pushes as itself, and the api checks MNS's signature. Task results cross accounts this way because an FC
 * trigger on another account's topic is not supported (deploy.md §2).
 */
export interface MnsHttpSubscription {
  TopicOwner: string;
  TopicName: string;
  SubscriptionName: string;
  Endpoint: string;
  NotifyContentFormat: 'XML' | 'JSON' | 'SIMPLIFIED';
  NotifyStrategy: 'BACKOFF_RETRY' | 'EXPONENTIAL_DECAY_RETRY';
}

/** Without `apiUrl` the endpoint is a placeholder to replace with the api's HTTP trigger URL. */
export function mnsHttpSubscription(c: DeployConfig & { notifyTopic: string }): MnsHttpSubscription {
  const base = (c.apiUrl ?? 'https://<api-host>').replace(/\/+$/, '');
  return {
    TopicOwner: c.mediaAccountId,
    TopicName: c.notifyTopic,
    SubscriptionName: 'imm-bridge-api',
    Endpoint: `${base}${NOTIFICATIONS_PATH}`,
    NotifyContentFormat: c.notifyContentFormat ?? 'JSON',
    NotifyStrategy: c.notifyStrategy ?? 'EXPONENTIAL_DECAY_RETRY',
  };
}

export interface PolicyDocument {
  Version: '1';
  Statement: Record<string, unknown>[];
}

export interface GeneratedPolicies {
  /** Data account: on the bucket. */
  bucketPolicy: PolicyDocument;
  /** Data account: trust policy of the function role (FC assumes it). */
  functionRoleTrustPolicy: PolicyDocument;
  /** Data account: permissions of the function role. */
  functionRolePolicy: PolicyDocument;
  /** Media account: trust policy of the operator role. */
  operatorTrustPolicy: PolicyDocument;
  /** Media account: permissions of the operator role. */
  operatorRolePolicy: PolicyDocument;
  /**
   * Media account, with a notify topic only: what IMM's service role needs to publish task results to it
   * (IMM docs, "custom permissions for media transcoding": the service role must be allowed
   * `mns:PublishMessage` on `acs:mns:<region>:<uid>:/topics/<topic>/messages`).
   */
  immServiceRolePolicy?: PolicyDocument;
}

/** shared/config.ts PENDING_DIR; repeated here because shared/policy has no runtime dependencies (a test keeps them equal). */
export const PENDING_DIR = '_pending/';

/**
 * shared/scope.ts PROBE_DIR: the deep health check's own folder under the input prefix, where the function writes
 * and deletes one probe image (shared/health.ts). Repeated for the same reason as PENDING_DIR (a test keeps them equal).
 */
export const PROBE_DIR = '.imm-bridge-probe/';

/** Tasks write outputs; without these operations IMM only reads. */
const WRITING_OPERATIONS: readonly ImmOperation[] = ['CreateMediaConvertTask', 'CreateOfficeConversionTask'];

export function generatePolicies(c: DeployConfig): GeneratedPolicies {
  const serviceRole = c.immServiceRoleName ?? DEFAULT_IMM_SERVICE_ROLE;
  const operatorRoleArn = `acs:ram::${c.mediaAccountId}:role/${c.operatorRoleName}`;
  const objects = (prefix: string) => `acs:oss:*:${c.dataAccountId}:${c.bucket}/${prefix}*`;
  const immPrincipal = `arn:sts::${c.mediaAccountId}:assumed-role/${serviceRole}/*`;
  // Where on-upload keeps the markers of unsettled uploads (shared/config.ts PENDING_DIR, under RESULTS_PREFIX).
  const pending = `${c.resultsPrefix}${PENDING_DIR}`;

  const bucketStatements: Record<string, unknown>[] = [
    { Sid: 'ImmReadsInputs', Effect: 'Allow', Principal: [immPrincipal], Action: ['oss:GetObject'], Resource: [objects(c.inputPrefix)] },
  ];
  if (c.operations.some((op) => WRITING_OPERATIONS.includes(op))) {
    bucketStatements.push({ Sid: 'ImmWritesOutputs', Effect: 'Allow', Principal: [immPrincipal], Action: ['oss:PutObject'], Resource: [objects(c.outputPrefix)] });
  }

  return {
    bucketPolicy: { Version: '1', Statement: bucketStatements },
    functionRoleTrustPolicy: {
      Version: '1',
      Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }],
    },
    functionRolePolicy: {
      Version: '1',
      Statement: [
        { Sid: 'AssumeOperatorRole', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [operatorRoleArn] },
        { Sid: 'ReadInputs', Effect: 'Allow', Action: ['oss:GetObject'], Resource: [objects(c.inputPrefix)] },
        { Sid: 'WriteResults', Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: [objects(c.resultsPrefix)] },
        // Claims are exclusive only on a bucket that was never versioned: on-upload checks once per container.
        { Sid: 'ReadVersioning', Effect: 'Allow', Action: ['oss:GetBucketVersioning'], Resource: [`acs:oss:*:${c.dataAccountId}:${c.bucket}`] },
        // The reconciler lists the pending markers and nothing else: ListObjectsV2 is authorized as oss:ListObjects on
        // the bucket, narrowed by the request's prefix (reference/ram-policy.md §2.4, `oss:Prefix`).
        {
          Sid: 'ListPendingMarkers',
          Effect: 'Allow',
          Action: ['oss:ListObjects'],
          Resource: [`acs:oss:*:${c.dataAccountId}:${c.bucket}`],
          Condition: { StringLike: { 'oss:Prefix': [`${pending}*`] } },
        },
        { Sid: 'ClearPendingMarkers', Effect: 'Allow', Action: ['oss:DeleteObject'], Resource: [objects(pending)] },
        // The deep health check writes a probe image where IMM reads inputs and deletes it: its own folder only.
        { Sid: 'HealthProbe', Effect: 'Allow', Action: ['oss:PutObject', 'oss:DeleteObject'], Resource: [objects(`${c.inputPrefix}${PROBE_DIR}`)] },
      ],
    },
    operatorTrustPolicy: {
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { RAM: [`acs:ram::${c.dataAccountId}:role/${c.functionRoleName}`] },
          Condition: { StringEquals: { 'sts:ExternalId': c.externalId } },
        },
      ],
    },
    // The same statements the function sends as its AssumeRole session policy (shared/jobs.ts): one source.
    operatorRolePolicy: {
      Version: '1',
      Statement: immGrantStatements({ region: c.region, mediaAccountId: c.mediaAccountId, immProject: c.immProject, operations: c.operations, immServiceRoleName: serviceRole }),
    },
    ...(c.notifyTopic
      ? {
          immServiceRolePolicy: {
            Version: '1' as const,
            Statement: [
              {
                Sid: 'PublishTaskNotifications',
                Effect: 'Allow',
                Action: ['mns:PublishMessage'],
                Resource: [`acs:mns:${c.region}:${c.mediaAccountId}:/topics/${c.notifyTopic}/messages`],
              },
            ],
          },
        }
      : {}),
  };
}
