// Every error the functions raise on purpose. `expose` says whether an HTTP caller may read the message;
// `retryable` says whether the same request could succeed later (it decides whether an OSS event is re-delivered).

export interface AppErrorOptions {
  hint?: string;
  cause?: unknown;
  retryable?: boolean;
  expose?: boolean;
}

export class AppError extends Error {
  readonly hint?: string;
  readonly retryable: boolean;
  readonly expose: boolean;

  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.expose = options.expose ?? statusCode < 500;
  }
}

export class ConfigError extends AppError {
  constructor(readonly problems: string[]) {
    super('InvalidConfiguration', `invalid configuration: ${problems.join('; ')}`, 500, { expose: false });
    this.name = 'ConfigError';
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, hint?: string, code = 'BadRequest') {
    super(code, message, 400, { hint });
    this.name = 'BadRequestError';
  }
}

export class UnauthorizedError extends AppError {
  /** The hint comes from the troubleshooting table (shared/errorHints.ts), which imports this file. */
  constructor(message = 'missing or invalid bearer token', hint?: string) {
    super('Unauthorized', message, 401, { hint });
    this.name = 'UnauthorizedError';
  }
}

export class ForbiddenError extends AppError {
  constructor(code: string, message: string, hint?: string, cause?: unknown) {
    super(code, message, 403, { hint, cause });
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, hint?: string, cause?: unknown) {
    super(code, message, 404, { hint, cause });
    this.name = 'NotFoundError';
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('PayloadTooLarge', `request body exceeds ${limitBytes} bytes`, 413);
    this.name = 'PayloadTooLargeError';
  }
}

/** A cloud service failed or throttled us: the caller may retry. Messages stay internal. */
export class UpstreamError extends AppError {
  constructor(code: string, message: string, statusCode: 502 | 503 | 504, cause?: unknown, hint?: string) {
    super(code, message, statusCode, { cause, retryable: true, expose: true, hint });
    this.name = 'UpstreamError';
  }
}

/** Anything that is not an AppError becomes a generic 500 whose details stay in the logs. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError('InternalError', 'internal error', 500, { cause: error, expose: false, retryable: true });
}
