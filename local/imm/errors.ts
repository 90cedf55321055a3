// Typed IMM errors. Services and actions throw them; http.ts writes them as the JSON body of
// reference/imm-sts.md §6. Codes and messages follow IMM's common-error table (D-ERR) where it has them.
// Statuses the table leaves out or contradicts are the emulator's choices, marked below.

export class ImmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ImmError';
  }
}

export const immErrors = {
  /** D-ERR's own example: `InvalidArgument` "The parameter ProjectName is required but not provided." */
  missingParameter: (name: string) => new ImmError(400, 'InvalidArgument', `The parameter ${name} is required but not provided.`),
  invalidArgument: (message: string) => new ImmError(400, 'InvalidArgument', message),
  /**
   * D-ERR lists ResourceNotFound as 400; the emulator answers 404 (as the loopback test in reference §6 did),
   * which is what clients branch on. The documented sentence comes first, then which resource.
   */
  resourceNotFound: (resourceType: string, detail: string) => new ImmError(404, 'ResourceNotFound', `The specified resource ${resourceType} is not found. (${detail})`),
  /** RAM refused the caller. Status 403 (UNVERIFIED for IMM); the sentence is the one field reports quote. */
  accessDenied: (detail: string) => new ImmError(403, 'AccessDenied', `You are not authorized to operate on the specified resources: ${detail}`),
  /** The same refusal when the missing grant is `ram:PassRole` on the role IMM would act as; the detail names it. */
  passRoleDenied: (detail: string) => new ImmError(403, 'AccessDenied', `You are not authorized to operate on the specified resources: ${detail}`),
  /**
   * OSS refused IMM's own identity. Field reports show "File access forbidden" (with status 400, UNVERIFIED);
   * the emulator answers 403 so that callers see an access problem, and keeps the documented words first.
   */
  fileAccessForbidden: (detail: string) => new ImmError(403, 'AccessDenied', `File access forbidden: ${detail}`),
  // 404 and the message are POP's for an unknown API.
  unknownAction: (action: string) =>
    new ImmError(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: action \`${action}\` of IMM 2020-09-30.`),
  invalidVersion: (version: string) => new ImmError(400, 'InvalidVersion', `Specified parameter Version is not valid: \`${version}\`, IMM has 2020-09-30.`),
  /**
   * D-ERR's 400 `LimitExceededError` ("input quota exceed the max value"): the emulator's answer when the bytes it
   * may hold in memory at once are taken (MemoryBudget). The functions map it to a retryable 429.
   */
  limitExceeded: (detail: string) => new ImmError(400, 'LimitExceededError', `Message: input quota exceed the max value: ${detail}`),
  internal: (detail: string) => new ImmError(500, 'InternalError', `The request processing has failed due to some unknown error: ${detail}`),
};
