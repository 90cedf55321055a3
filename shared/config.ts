// Function configuration from environment variables (DESIGN §3.1). Read once per container; a bad
// value fails the cold start with one message that lists every problem, so a deploy is fixed in one go.
import { z } from 'zod';
import { ConfigError } from './errors';

export interface Endpoint {
  /** `host[:port]`, as the Alibaba SDKs want it. */
  host: string;
  protocol: 'http' | 'https';
}

export interface Config {
  immProject: string;
  immRoleArn?: string;
  immRoleExternalId?: string;
  region: string;
  allowedBuckets: ReadonlySet<string>;
  inputPrefix: string;
  resultsPrefix: string;
  outputPrefix: string;
  apiTokenHashes: readonly string[];
  stsDurationSeconds: number;
  stsEndpoint?: Endpoint;
  immEndpoint?: Endpoint;
  ossEndpoint?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^acs:ram::\d+:role\/[A-Za-z0-9._-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const prefix = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((p) => p.endsWith('/') && !p.startsWith('/') && p.length > 1, `${name} must be a non-empty key prefix ending in \`/\``);

const endpoint = z
  .string()
  .optional()
  .transform((raw, ctx): Endpoint | undefined => {
    if (!raw) return undefined;
    const match = /^(?:(https?):\/\/)?([A-Za-z0-9.-]+(?::\d{1,5})?)\/?$/.exec(raw);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `\`${raw}\` is not a host[:port] or http(s)://host[:port] endpoint` });
      return z.NEVER;
    }
    return { protocol: (match[1] as Endpoint['protocol'] | undefined) ?? 'https', host: match[2] };
  });

const schema = z
  .object({
    IMM_PROJECT: z.string({ error: 'IMM_PROJECT is required' }).min(1, 'IMM_PROJECT is required'),
    IMM_ROLE_ARN: z
      .string()
      .optional()
      .refine((v) => !v || ROLE_ARN.test(v), 'IMM_ROLE_ARN must look like `acs:ram::<account-id>:role/<name>`'),
    IMM_ROLE_EXTERNAL_ID: z
      .string()
      .optional()
      .refine((v) => !v || EXTERNAL_ID.test(v), 'IMM_ROLE_EXTERNAL_ID must be 2–1224 characters of letters, digits and `+=,.@:/-_`'),
    REGION: z.string({ error: 'REGION is required' }).regex(/^[a-z]{2}-[a-z0-9-]+$/, 'REGION must be a region id such as `cn-hangzhou`'),
    ALLOWED_BUCKETS: z
      .string({ error: 'ALLOWED_BUCKETS is required (comma-separated bucket names)' })
      .transform(list)
      .refine((names) => names.length > 0, 'ALLOWED_BUCKETS must list at least one bucket')
      .refine((names) => names.every((n) => BUCKET_NAME.test(n)), 'ALLOWED_BUCKETS holds an invalid bucket name'),
    INPUT_PREFIX: prefix('INPUT_PREFIX', 'incoming/'),
    RESULTS_PREFIX: prefix('RESULTS_PREFIX', 'results/'),
    OUTPUT_PREFIX: prefix('OUTPUT_PREFIX', 'converted/'),
    API_TOKENS_SHA256: z
      .string()
      .optional()
      .transform((raw) => list(raw).map((h) => h.toLowerCase()))
      .refine((hashes) => hashes.every((h) => /^[0-9a-f]{64}$/.test(h)), 'API_TOKENS_SHA256 must hold hex SHA-256 hashes (64 hex characters each)'),
    STS_DURATION_SECONDS: z.coerce
      .number()
      .int()
      .min(900, 'STS_DURATION_SECONDS must be at least 900')
      .max(43200, 'STS_DURATION_SECONDS must be at most 43200')
      .default(3600),
    STS_ENDPOINT: endpoint,
    IMM_ENDPOINT: endpoint,
    OSS_ENDPOINT: z
      .string()
      .optional()
      .refine((v) => !v || /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(v), 'OSS_ENDPOINT must be an http(s)://host[:port] URL'),
  })
  .superRefine((env, ctx) => {
    // The trigger watches INPUT_PREFIX; writing anywhere under it would invoke the function again, forever.
    const input = env.INPUT_PREFIX;
    for (const [name, value] of [
      ['RESULTS_PREFIX', env.RESULTS_PREFIX],
      ['OUTPUT_PREFIX', env.OUTPUT_PREFIX],
    ] as const) {
      if (value.startsWith(input) || input.startsWith(value)) {
        ctx.addIssue({ code: 'custom', message: `${name} \`${value}\` overlaps INPUT_PREFIX \`${input}\`, which would make the trigger loop` });
      }
    }
  });

/** Reads the configuration from an environment, or throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = schema.safeParse(blankToUndefined);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => issue.message));
  }
  const e = parsed.data;
  return {
    immProject: e.IMM_PROJECT,
    immRoleArn: e.IMM_ROLE_ARN,
    immRoleExternalId: e.IMM_ROLE_EXTERNAL_ID,
    region: e.REGION,
    allowedBuckets: new Set(e.ALLOWED_BUCKETS),
    inputPrefix: e.INPUT_PREFIX,
    resultsPrefix: e.RESULTS_PREFIX,
    outputPrefix: e.OUTPUT_PREFIX,
    apiTokenHashes: e.API_TOKENS_SHA256,
    stsDurationSeconds: e.STS_DURATION_SECONDS,
    stsEndpoint: e.STS_ENDPOINT,
    immEndpoint: e.IMM_ENDPOINT,
    ossEndpoint: e.OSS_ENDPOINT?.replace(/\/$/, ''),
  };
}
