// The policy engine's hot paths: one identity policy of 20 statements with conditions, evaluated alone
// (`evaluatePolicy`) and through the OSS flow with a bucket policy (`authorizeOss`, explanation included).
import { authorizeOss, evaluatePolicy, parsePolicy, type AuthRequest, type ParsedPolicy, type PolicyKind } from '../shared/policy';
import type { Benchmark } from './harness';

const DATA = '1000000000000001';
const MEDIA = '2000000000000002';
const BUCKET = `acs:oss:*:${DATA}:test-bucket-2024`;
const PROJECT = `acs:imm:cn-hangzhou:${MEDIA}:project/immtest`;

const office = { IpAddress: { 'acs:SourceIp': ['203.0.113.0/24', '198.51.100.0/24', '2001:db8::/32'] }, StringNotLike: { 'acs:SourceVpc': 'vpc-*' } };
const https = { Bool: { 'acs:SecureTransport': 'true' } };

/** What a data-platform role of the data account might carry: prefixes, tags, time windows, ip ranges, denies. */
export const IDENTITY_POLICY = {
  Version: '1',
  Statement: [
    { Sid: 'ReadIncoming', Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`${BUCKET}/incoming/*`], Condition: { ...https } },
    { Sid: 'WriteResults', Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`${BUCKET}/results/*`], Condition: { StringEquals: { 'oss:x-oss-object-acl': ['private', 'default'] } } },
    { Sid: 'ReadResults', Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`${BUCKET}/results/*`] },
    { Sid: 'ListPrefixes', Effect: 'Allow', Action: ['oss:ListObjects'], Resource: [BUCKET], Condition: { StringLike: { 'oss:Prefix': ['', 'incoming/*', 'results/*'] }, StringEquals: { 'oss:Delimiter': '/' } } },
    { Sid: 'TaggedReports', Effect: 'Allow', Action: ['oss:GetObject', 'oss:GetObjectTagging'], Resource: [`${BUCKET}/reports/*`], Condition: { StringEqualsIgnoreCase: { 'oss:ExistingObjectTag/team': ['media', 'data'] } } },
    { Sid: 'Archive', Effect: 'Allow', Action: ['oss:PutObject', 'oss:GetObject'], Resource: [`acs:oss:*:${DATA}:archive-2024/*`], Condition: { DateLessThan: { 'acs:CurrentTime': '2030-01-01T00:00:00+08:00' } } },
    { Sid: 'BucketInfo', Effect: 'Allow', Action: ['oss:GetBucketInfo', 'oss:GetBucketLocation', 'oss:GetBucketStat'], Resource: [BUCKET] },
    { Sid: 'Score', Effect: 'Allow', Action: ['imm:DetectImageScore', 'imm:DetectImageLabels'], Resource: [PROJECT], Condition: { ...https } },
    { Sid: 'Convert', Effect: 'Allow', Action: ['imm:CreateMediaConvertTask', 'imm:CreateOfficeConversionTask', 'imm:GetTask'], Resource: [PROJECT] },
    { Sid: 'Preview', Effect: 'Allow', Action: ['imm:GenerateWebofficeToken', 'imm:RefreshWebofficeToken'], Resource: [PROJECT], Condition: { NumericLessThanEquals: { 'imm:PreviewPages': '500' } } },
    { Sid: 'Assume', Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [`acs:ram::${MEDIA}:role/imm-bridge-operator`] },
    { Sid: 'Invoke', Effect: 'Allow', Action: ['fc:InvokeFunction'], Resource: [`acs:fc:cn-hangzhou:${DATA}:functions/on-upload`, `acs:fc:cn-hangzhou:${DATA}:functions/api`] },
    { Sid: 'Uploads', Effect: 'Allow', Action: ['oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'], Resource: [`${BUCKET}/incoming/*`], Condition: { ...office } },
    { Sid: 'Logs', Effect: 'Allow', Action: ['oss:PutObject'], Resource: [`acs:oss:*:${DATA}:logs-*/fc/*`] },
    { Sid: 'OfficeHours', Effect: 'Allow', Action: ['oss:GetObject'], Resource: [`${BUCKET}/converted/*`], Condition: { DateGreaterThanEquals: { 'acs:CurrentTime': '2024-01-01T00:00:00Z' }, ...https } },
    { Sid: 'NoDeletes', Effect: 'Deny', Action: ['oss:DeleteObject', 'oss:DeleteBucket', 'oss:DeleteObjectVersion'], Resource: ['*'] },
    { Sid: 'NoAclChanges', Effect: 'Deny', Action: ['oss:PutBucketAcl', 'oss:PutObjectAcl'], Resource: ['*'], Condition: { StringNotEquals: { 'oss:x-oss-acl': 'private' } } },
    { Sid: 'NoPolicyChanges', Effect: 'Deny', Action: ['oss:PutBucketPolicy', 'oss:DeleteBucketPolicy'], Resource: [BUCKET] },
    { Sid: 'HttpsOnly', Effect: 'Deny', Action: ['oss:*'], Resource: [`${BUCKET}/*`], Condition: { Bool: { 'acs:SecureTransport': 'false' } } },
    { Sid: 'NoRam', Effect: 'Deny', Action: ['ram:*'], Resource: ['*'] },
  ],
};

export const BUCKET_POLICY = {
  Version: '1',
  Statement: [
    { Sid: 'ImmReadsInputs', Effect: 'Allow', Principal: [`arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/*`], Action: ['oss:GetObject'], Resource: [`${BUCKET}/incoming/*`] },
    { Sid: 'ImmWritesOutputs', Effect: 'Allow', Principal: [`arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/*`], Action: ['oss:PutObject'], Resource: [`${BUCKET}/converted/*`] },
    { Sid: 'PartnerReads', Effect: 'Allow', Principal: ['200000000022201'], Action: ['oss:GetObject'], Resource: [`${BUCKET}/results/*`], Condition: { ...office } },
    { Sid: 'NoPublicWrites', Effect: 'Deny', Principal: ['*'], Action: ['oss:PutObject'], Resource: [`${BUCKET}/*`], Condition: { StringEquals: { 'oss:x-oss-object-acl': ['public-read', 'public-read-write'] } } },
  ],
};

const FUNCTION = `arn:sts::${DATA}:assumed-role/imm-bridge-fn/fc-on-upload-1f3e`;
const IMM = `arn:sts::${MEDIA}:assumed-role/AliyunIMMDefaultRole/imm-x`;
const context = { 'acs:SourceIp': '203.0.113.7', 'acs:SecureTransport': 'true', 'acs:CurrentTime': '2026-11-22T10:00:00+08:00' };

/** A mix of allowed, explicitly denied and implicitly denied requests, as a busy function would send them. */
export const OSS_REQUESTS: AuthRequest[] = [
  { principal: FUNCTION, action: 'oss:GetObject', resource: `${BUCKET}/incoming/a/b.jpg`, context },
  { principal: FUNCTION, action: 'oss:PutObject', resource: `${BUCKET}/results/incoming/a/b.jpg.json`, context: { ...context, 'oss:x-oss-object-acl': 'default' } },
  { principal: FUNCTION, action: 'oss:GetObject', resource: `${BUCKET}/results/incoming/a/b.jpg.json`, context },
  { principal: FUNCTION, action: 'oss:DeleteObject', resource: `${BUCKET}/incoming/a/b.jpg`, context },
  { principal: FUNCTION, action: 'oss:ListObjects', resource: BUCKET, context: { ...context, 'oss:Prefix': 'incoming/2026/', 'oss:Delimiter': '/' } },
  { principal: FUNCTION, action: 'oss:GetObject', resource: `${BUCKET}/private/salaries.csv`, context },
  { principal: FUNCTION, action: 'oss:GetObject', resource: `${BUCKET}/reports/q3.pdf`, context: { ...context, 'oss:ExistingObjectTag/team': 'Media' } },
  { principal: IMM, action: 'oss:GetObject', resource: `${BUCKET}/incoming/a/b.jpg`, context },
];

const IDENTITY_REQUESTS: AuthRequest[] = [
  ...OSS_REQUESTS.filter((r) => r.principal === FUNCTION),
  { principal: FUNCTION, action: 'imm:DetectImageScore', resource: PROJECT, context },
  { principal: FUNCTION, action: 'sts:AssumeRole', resource: `acs:ram::${MEDIA}:role/imm-bridge-operator`, context },
  { principal: FUNCTION, action: 'ram:CreateUser', resource: `acs:ram::${DATA}:user/eve`, context },
];

function parsed(doc: unknown, kind: PolicyKind): ParsedPolicy {
  const result = parsePolicy(doc, kind);
  if (!result.ok) throw new Error(`bench policy does not parse: ${JSON.stringify(result.problems)}`);
  return result.policy;
}

export function policyBenchmarks(): Benchmark[] {
  const identity = parsed(IDENTITY_POLICY, 'identity');
  const bucket = parsed(BUCKET_POLICY, 'bucket');
  const details = { statements: IDENTITY_POLICY.Statement.length, bucketPolicyStatements: BUCKET_POLICY.Statement.length };
  return [
    {
      name: 'policy.evaluatePolicy',
      unit: 'evaluations',
      target: 200_000,
      details: { ...details, requests: IDENTITY_REQUESTS.length },
      run(n) {
        let allowed = 0;
        for (let i = 0; i < n; i++) if (evaluatePolicy(identity, IDENTITY_REQUESTS[i % IDENTITY_REQUESTS.length], 'identity[0]').decision === 'Allow') allowed++;
        return allowed;
      },
    },
    {
      name: 'policy.authorizeOss',
      unit: 'authorizations',
      details: { ...details, requests: OSS_REQUESTS.length },
      run(n) {
        let allowed = 0;
        for (let i = 0; i < n; i++) {
          const result = authorizeOss({ request: OSS_REQUESTS[i % OSS_REQUESTS.length], identityPolicies: [identity], bucketPolicy: bucket });
          if (result.decision === 'Allow') allowed++;
        }
        return allowed;
      },
    },
  ];
}
