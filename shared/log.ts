// One JSON line per event. Secrets are redacted by key name wherever they sit, as a second line of
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

// pino's redaction takes paths; cover the key at the top level and up to three levels deep.
const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const dot = k.startsWith('[') ? '' : '.';
  return [k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`];
});

export function createLogger(bindings: Record<string, unknown> = {}, destination?: DestinationStream, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: bindings,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** What we log about an error: its code and message, never the SDK's request object (it holds signed headers). */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & { code?: unknown; statusCode?: unknown; hint?: unknown };
  const cause = e.cause instanceof Error ? { name: e.cause.name, message: e.cause.message, code: (e.cause as { code?: unknown }).code } : undefined;
  return { name: e.name, code: e.code, statusCode: e.statusCode, message: e.message, hint: e.hint, cause };
}
