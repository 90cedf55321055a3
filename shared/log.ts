// One JSON line per event. Secrets are redacted by key name (any case, five levels deep) as a second line of
// defence: the code never passes credentials or tokens to the logger on purpose.
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'accessKeySecret',
  'AccessKeySecret',
  'securityToken',
  'SecurityToken',
  'stsToken',
  'authorization',
  'Authorization',
  'token',
  'accessToken',
  'AccessToken',
  'refreshToken',
  'RefreshToken',
  'apiToken',
  'x-acs-security-token',
  'x-oss-security-token',
];

const SECRET_KEY_SET = new Set(SECRET_KEYS.map((key) => key.toLowerCase()));
const MAX_DEPTH = 5;
const CENSOR = '[redacted]';

/**
 * A copy of `value` with every secret-named key (any case) replaced, down to MAX_DEPTH levels; objects without
 * secrets are returned as they are. One walk per log call: pino's own path redaction with wildcards for every
 * key and depth cost a quarter of a warm invocation's CPU.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return value;
  // pino's serializers run after this formatter: an Error is serialized here (message, stack, enumerable fields,
  // cause and aggregated errors become plain data) so that all of it is walked.
  if (value instanceof Error) return redactSecrets(serializeError(value), depth);
  if (Array.isArray(value)) {
    let changed = false;
    const items = value.map((item) => {
      const next = redactSecrets(item, depth + 1);
      changed ||= next !== item;
      return next;
    });
    return changed ? items : value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const next = SECRET_KEY_SET.has(key.toLowerCase()) ? CENSOR : redactSecrets(item, depth + 1);
    if (next !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

/** pino's error serializer, which throws on an aggregate that contains itself or a frozen error: logging never may. */
function serializeError(error: Error): unknown {
  try {
    return pino.stdSerializers.err(error);
  } catch {
    return { type: error.name, message: String(error.message) };
  }
}

export function createLogger(bindings: Record<string, unknown> = {}, destination?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const logger = pino(
    {
      level,
      base: bindings,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      // Errors are already serialized (and redacted) by the log formatter; pino's default would re-serialize them.
      serializers: { err: (value: unknown) => (value instanceof Error ? redactSecrets(value) : value) },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (fields) => redactSecrets(fields) as Record<string, unknown>,
        log: (fields) => redactSecrets(fields) as Record<string, unknown>,
      },
    },
    destination,
  );
  return redactingChildren(logger);
}

/**
 * pino applies no formatter to a child's bindings, so they are redacted on their way in. The wrapper is set once,
 * on the root: children inherit it through their prototype and call it with themselves as `this`, so a child of a
 * child keeps both sets of bindings.
 */
interface Parent {
  child(bindings: Record<string, unknown>, options?: unknown): Parent;
}
function redactingChildren<L>(logger: L): L {
  const root = logger as unknown as Parent;
  const original = root.child;
  root.child = function (this: Parent, bindings, options) {
    return original.call(this, redactSecrets(bindings) as Record<string, unknown>, options);
  };
  return logger;
}

/** What we log about an error: its code and message, never the SDK's request object (it holds signed headers). */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & { code?: unknown; statusCode?: unknown; hint?: unknown };
  const cause = e.cause instanceof Error ? { name: e.cause.name, message: e.cause.message, code: (e.cause as { code?: unknown }).code } : undefined;
  return { name: e.name, code: e.code, statusCode: e.statusCode, message: e.message, hint: e.hint, cause };
}
