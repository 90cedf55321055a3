// The actions the linter knows, for the services imm-bridge touches. An action outside this list is a
// warning, not an error: Alibaba adds actions faster than any list is updated. OSS actions also say
// which resource level they need, so a bucket action on an object ARN (or the reverse) can be flagged.

export type ResourceLevel = 'service' | 'bucket' | 'object';

const OSS_SERVICE = ['ListBuckets', 'GetService', 'ListUserDataRedundancyTransition', 'DescribeRegions'];

const OSS_BUCKET = [
  'PutBucket', 'DeleteBucket', 'GetBucketInfo', 'GetBucketStat', 'GetBucketLocation', 'ListObjects', 'ListObjectVersions',
  'PutBucketAcl', 'GetBucketAcl', 'PutBucketPolicy', 'GetBucketPolicy', 'DeleteBucketPolicy', 'GetBucketPolicyStatus',
  'PutBucketTagging', 'GetBucketTagging', 'DeleteBucketTagging', 'PutBucketVersioning', 'GetBucketVersioning',
  'PutBucketLifecycle', 'GetBucketLifecycle', 'DeleteBucketLifecycle', 'PutBucketCors', 'GetBucketCors', 'DeleteBucketCors',
  'PutBucketReferer', 'GetBucketReferer', 'PutBucketLogging', 'GetBucketLogging', 'DeleteBucketLogging',
  'PutBucketWebsite', 'GetBucketWebsite', 'DeleteBucketWebsite', 'PutBucketEncryption', 'GetBucketEncryption', 'DeleteBucketEncryption',
  'PutBucketReplication', 'GetBucketReplication', 'DeleteBucketReplication', 'PutBucketEventNotification', 'GetBucketEventNotification',
  'ListMultipartUploads', 'PutPublicAccessBlock', 'GetPublicAccessBlock', 'DeletePublicAccessBlock',
  'PutBucketPublicAccessBlock', 'GetBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'InitiateBucketWorm', 'GetBucketWorm',
  'ExtendBucketWorm', 'CompleteBucketWorm', 'AbortBucketWorm', 'PutBucketInventory', 'GetBucketInventory', 'ListBucketInventory',
  'DeleteBucketInventory', 'PutBucketRequestPayment', 'GetBucketRequestPayment', 'PutBucketTransferAcceleration',
  'GetBucketTransferAcceleration', 'PutBucketAccessMonitor', 'GetBucketAccessMonitor', 'PutBucketResourceGroup', 'GetBucketResourceGroup',
  'PutBucketHttpsConfig', 'GetBucketHttpsConfig', 'PutCname', 'ListCname', 'DeleteCname', 'PutStyle', 'GetStyle', 'ListStyle', 'DeleteStyle',
  'OpenMetaQuery', 'GetMetaQueryStatus', 'DoMetaQuery', 'CloseMetaQuery',
];

const OSS_OBJECT = [
  'GetObject', 'PutObject', 'DeleteObject', 'AppendObject', 'PostObject', 'RestoreObject', 'SelectObject',
  'GetObjectAcl', 'PutObjectAcl', 'GetObjectTagging', 'PutObjectTagging', 'DeleteObjectTagging',
  'GetObjectVersion', 'DeleteObjectVersion', 'GetObjectVersionAcl', 'PutObjectVersionAcl', 'GetObjectVersionTagging',
  'PutObjectVersionTagging', 'DeleteObjectVersionTagging', 'AbortMultipartUpload', 'ListParts', 'PutSymlink', 'GetSymlink',
  'CleanRestoredObject', 'ProcessImm', 'PostProcessTask',
];

const IMM = [
  'CreateProject', 'GetProject', 'UpdateProject', 'DeleteProject', 'ListProjects', 'AttachOSSBucket', 'DetachOSSBucket',
  'DetectImageScore', 'DetectImageLabels', 'DetectImageFaces', 'DetectImageCropping', 'DetectImageCars', 'DetectImageCodes',
  'DetectImageTexts', 'DetectImageBodies', 'DetectMediaMeta', 'DetectTextAnomaly', 'CreateMediaConvertTask',
  'CreateOfficeConversionTask', 'GenerateWebofficeToken', 'RefreshWebofficeToken', 'GetWebofficeURL', 'GetTask', 'ListTasks',
  'CreateImageModerationTask', 'CreateVideoModerationTask', 'CreateDetectVideoLabelsTask', 'CreateFileCompressionTask',
  'CreateFileUncompressionTask', 'CreateArchiveFileInspectionTask', 'CreateImageSplicingTask', 'CreateImageToPDFTask',
  'ExtractDocumentText', 'GenerateVideoPlaylist', 'CreateDataset', 'GetDataset', 'DeleteDataset', 'ListDatasets',
  'IndexFileMeta', 'BatchIndexFileMeta', 'GetFileMeta', 'DeleteFileMeta', 'QueryFigureClusters', 'SemanticQuery', 'SimpleQuery',
];

const STS = ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithOIDC', 'GetCallerIdentity'];

const RAM = [
  'PassRole', 'CreateRole', 'GetRole', 'UpdateRole', 'DeleteRole', 'ListRoles', 'CreateUser', 'GetUser', 'UpdateUser', 'DeleteUser',
  'ListUsers', 'CreatePolicy', 'GetPolicy', 'DeletePolicy', 'ListPolicies', 'CreatePolicyVersion', 'GetPolicyVersion',
  'AttachPolicyToRole', 'DetachPolicyFromRole', 'AttachPolicyToUser', 'DetachPolicyFromUser', 'ListPoliciesForRole',
  'ListPoliciesForUser', 'CreateAccessKey', 'DeleteAccessKey', 'ListAccessKeys', 'UpdateAccessKey',
];

const FC = [
  'InvokeFunction', 'CreateFunction', 'GetFunction', 'UpdateFunction', 'DeleteFunction', 'ListFunctions', 'GetFunctionCode',
  'CreateTrigger', 'GetTrigger', 'UpdateTrigger', 'DeleteTrigger', 'ListTriggers', 'PublishFunctionVersion', 'ListFunctionVersions',
  'CreateAlias', 'GetAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases', 'PutAsyncInvokeConfig', 'GetAsyncInvokeConfig',
  'DeleteAsyncInvokeConfig', 'PutConcurrencyConfig', 'GetConcurrencyConfig', 'PutProvisionConfig', 'GetProvisionConfig',
  'ListInstances', 'GetAsyncTask', 'StopAsyncTask', 'ListAsyncTasks', 'CreateLayerVersion', 'GetLayerVersion', 'ListLayers',
];

const entries: [string, ResourceLevel | undefined][] = [
  ...OSS_SERVICE.map((a): [string, ResourceLevel] => [`oss:${a}`, 'service']),
  ...OSS_BUCKET.map((a): [string, ResourceLevel] => [`oss:${a}`, 'bucket']),
  ...OSS_OBJECT.map((a): [string, ResourceLevel] => [`oss:${a}`, 'object']),
  ...IMM.map((a): [string, undefined] => [`imm:${a}`, undefined]),
  ...STS.map((a): [string, undefined] => [`sts:${a}`, undefined]),
  ...RAM.map((a): [string, undefined] => [`ram:${a}`, undefined]),
  ...FC.map((a): [string, undefined] => [`fc:${a}`, undefined]),
];

/** Lower-cased action → canonical spelling, for case-insensitive lookups that still report the canonical name. */
const CANONICAL = new Map(entries.map(([action]) => [action.toLowerCase(), action]));
const LEVEL = new Map(entries.filter(([, level]) => level).map(([action, level]) => [action.toLowerCase(), level as ResourceLevel]));

export const CATALOGUED_SERVICES = ['oss', 'imm', 'sts', 'ram', 'fc'] as const;

/** All catalogued actions, canonical spelling. */
export function catalogueActions(): string[] {
  return entries.map(([action]) => action);
}

/** The canonical spelling of a catalogued action, or undefined. */
export function canonicalAction(action: string): string | undefined {
  return CANONICAL.get(action.toLowerCase());
}

/** The resource level an OSS action needs, or undefined for non-OSS or unknown actions. */
export function ossResourceLevel(action: string): ResourceLevel | undefined {
  return LEVEL.get(action.toLowerCase());
}
