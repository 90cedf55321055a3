// Typed OSS errors. The service layer throws them; one adapter (http.ts) turns them into the XML
// body `<Error><Code/><Message/><RequestId/><HostId/>…</Error>` (reference/local-stack.md §3.1).
// Codes and statuses follow real OSS where a source exists; the rest are marked as emulator choices.
// EC codes are set only where a real response showed them.

export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements after HostId, in order (e.g. StringToSign for SignatureDoesNotMatch). */
    readonly details: Record<string, string> = {},
    /** OSS error-center code, exposed by ali-oss as `err.ecCode`. */
    readonly ec?: string,
    /** Extra response headers, e.g. Content-Range on a 416. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'OssError';
  }
}

/** Constructors for every error the emulator emits, so codes and statuses live in one place. */
export const ossErrors = {
  noSuchBucket: (bucket: string) => new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }),
  noSuchKey: (key: string, headers: Record<string, string> = {}) => new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }, undefined, headers),
  // The code is UNVERIFIED for OSS (NoSuchVersion is the S3-family name); ali-oss only reads the status.
  noSuchVersion: (key: string, versionId: string) =>
    new OssError(404, 'NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: versionId }),
  // GET of a version that is a delete marker is a 405 (ali-oss test/node/multiversion.test.js `get()`); the code is the S3-family name.
  deleteMarkerVersion: (headers: Record<string, string>) =>
    new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {}, undefined, headers),
  noSuchBucketPolicy: (bucket: string) => new OssError(404, 'NoSuchBucketPolicy', 'The bucket policy does not exist.', { BucketName: bucket }),
  invalidBucketName: (bucket: string) => new OssError(400, 'InvalidBucketName', `The specified bucket is not valid: \`${bucket}\`.`, { BucketName: bucket }),
  invalidObjectName: (reason: string) => new OssError(400, 'InvalidObjectName', `The object name is not valid: ${reason}.`),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new OssError(400, 'InvalidArgument', message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' }),
  malformedXml: (detail: string) => new OssError(400, 'MalformedXML', `The XML you provided was not well-formed or did not validate: ${detail}.`),
  missingContentMd5: () => new OssError(400, 'InvalidDigest', 'Missing required header for this request: Content-MD5.'),
  // The OSS code for a Content-MD5 mismatch is UNVERIFIED (reference §3); InvalidDigest is the S3-family name.
  invalidDigest: (message: string) => new OssError(400, 'InvalidDigest', message),
  // The OSS code for a rejected policy document is UNVERIFIED; InvalidPolicyDocument is the emulator's choice.
  invalidPolicy: (message: string, ec?: string) => new OssError(400, 'InvalidPolicyDocument', message, {}, ec),
  entityTooLarge: (limit: number) => new OssError(400, 'EntityTooLarge', `Your proposed upload exceeds the emulator's limit of ${limit} bytes.`),
  fileAlreadyExists: () => new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.'),
  invalidRange: (size: number) =>
    new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied', {}, undefined, { 'Content-Range': `bytes */${size}` }),
  preconditionFailed: (condition: string) => new OssError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: condition }),
  notImplemented: (what: string) => new OssError(501, 'NotImplemented', `The local OSS emulator does not implement ${what}.`),
  accessDenied: (message: string, details: Record<string, string> = {}) => new OssError(403, 'AccessDenied', message, details, '0003-00000001'),
  invalidAccessKeyId: (accessKeyId: string, detail: string) =>
    new OssError(403, 'InvalidAccessKeyId', `The OSS Access Key Id you provided does not exist in our records: ${detail}.`, { OSSAccessKeyId: accessKeyId }),
  // Real OSS answers an expired STS token with this code and EC 0002-00000007 (seen in a 2026 client log,
  // jxxghp/MoviePilot#6295); the brief allowed InvalidAccessKeyId, but the real code is more useful to callers.
  securityTokenExpired: (detail: string) => new OssError(403, 'SecurityTokenExpired', `The security token you provided has expired: ${detail}.`, {}, '0002-00000007'),
  // The HTTP status of RequestTimeTooSkewed is UNVERIFIED for OSS (reference §2.1); 403 as in S3.
  requestTimeTooSkewed: (requestTime: string, serverTime: string) =>
    new OssError(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
      { RequestTime: requestTime, ServerTime: serverTime, MaxAllowedSkewMilliseconds: '900000' },
      '0002-00000504',
    ),
  signatureDoesNotMatch: (details: Record<string, string>, extra = '') =>
    new OssError(
      403,
      'SignatureDoesNotMatch',
      `The request signature we calculated does not match the signature you provided. Check your key and signing method.${extra ? ` ${extra}` : ''}`,
      details,
    ),
  internal: (message: string) => new OssError(500, 'InternalError', message),
  // OSS answers "the OSS server is busy" with 503 ServiceUnavailable (help.aliyun.com/zh/oss/support/http-status-code-503);
  // the emulator says so when request bodies it must hold in memory would exceed its budget.
  serviceBusy: (capacity: number) =>
    new OssError(503, 'ServiceUnavailable', `Service temporarily busy: the local OSS emulator holds at most ${capacity} bytes of request bodies in memory at once; retry later.`),
  // The code is UNVERIFIED for OSS (InvalidTag is the S3-family name); the EC codes come from OSS's error-center pages.
  invalidTag: (message: string, ec?: string) => new OssError(400, 'InvalidTag', message, {}, ec),
  // Seen in real responses (aliyun Swift SDK v2 integration tests; PutBucketAcl API doc sample).
  invalidBucketAcl: (value: string) =>
    new OssError(400, 'InvalidArgument', 'no such bucket access control exists', { ArgumentName: 'x-oss-acl', ArgumentValue: value }, '0015-00000204'),
  // 0017-00000104 was seen for an unknown value; 0017-00000105 (missing or empty header on PutObjectAcl) is from the error-center page.
  invalidObjectAcl: (value: string | undefined) =>
    new OssError(
      400,
      'InvalidArgument',
      'no such object access control exists',
      { ArgumentName: 'x-oss-object-acl', ArgumentValue: value ?? '' },
      value ? '0017-00000104' : '0017-00000105',
    ),
};
