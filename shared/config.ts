// Function configuration from environment variables (DESIGN §3.1). Read once per container; a bad
// value fails the cold start with one message that lists every problem, so a deploy is fixed in one go.
import * as v from 'valibot';
import { ConfigError } from './errors';

/** Where MNS publishes its signing certificates (deploy.md §2); the default of MNS_CERT_URL_PREFIXES. */
export const MNS_CERT_URL_PREFIX = 'https://mnstest.oss-cn-hangzhou.aliyuncs.com/';

export interface Endpoint {
  /** `host[:port]`, as the Alibaba SDKs want it. */
  host: string;
  protocol: 'http' | 'https';
}

/** What an upload of each kind gets: `score` (images), a container (video, audio), a target type (documents), or `off`. */
export interface UploadRoutes {
  image: 'score' | 'off';
  video: string;
  audio: string;
  document: string;
}

const DEFAULT_UPLOAD_ROUTES: UploadRoutes = { image: 'score', video: 'mp4', audio: 'mp3', document: 'png' };

const ROUTE_CHOICES: Record<keyof UploadRoutes, readonly string[]> = {
  image: ['score', 'off'],
  video: ['mp4', 'mkv', 'mov', 'flv', 'ts', 'off'],
  audio: ['mp3', 'aac', 'flac', 'opus', 'off'],
  document: ['png', 'jpg', 'pdf', 'txt', 'off'],
};

/** `video=mp4,audio=off` over the defaults; returns the problems instead of throwing, for the one config message. */
export function parseUploadRoutes(raw: string | undefined, defaults: UploadRoutes): { routes: UploadRoutes; problems: string[] } {
  const routes = { ...defaults };
  const problems: string[] = [];
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [kind, value] = entry.split('=').map((p) => p?.trim());
    if (!(kind in ROUTE_CHOICES)) problems.push(`UPLOAD_ROUTES: unknown kind \`${kind}\` (use image, video, audio or document)`);
    else if (!value || !ROUTE_CHOICES[kind as keyof UploadRoutes].includes(value)) problems.push(`UPLOAD_ROUTES: \`${kind}\` must be one of ${ROUTE_CHOICES[kind as keyof UploadRoutes].join(', ')}`);
    else (routes as Record<string, string>)[kind] = value;
  }
  return { routes, problems };
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
  /**
   * The key prefixes the api serves (API_PREFIXES; default: INPUT_PREFIX alone). A `uri` outside them is refused
   * with 403 before any STS or IMM call (shared/scope.ts): IMM's read grant may cover the whole bucket.
   */
  apiPrefixes: readonly string[];
  /** `readonly: false` on POST /documents/preview (an editable WebOffice session) is refused unless this is on. */
  previewAllowEdit: boolean;
  stsDurationSeconds: number;
  /** Lifetime of a claim when the FC context gives no function timeout to derive its deadline from. */
  claimStaleSeconds: number;
  /** How many records of one OSS event are processed at once. */
  batchConcurrency: number;
  /** Send a session policy with AssumeRole that allows only the IMM actions in use on IMM_PROJECT (default on). */
  sessionPolicy: boolean;
  /** The IMM project's service role in the media account, which the session policy lets the session pass to IMM. */
  immServiceRole: string;
  uploadRoutes: UploadRoutes;
  /** MNS topic IMM publishes task results to (the on-task-done trigger listens there); optional. */
  notifyTopic?: string;
  /** The reconciler asks IMM about a task whose sidecar has said `submitted` for this long (its notification is presumed lost). */
  reconcileSubmittedAfterSeconds: number;
  /** At most this many pending markers are examined per reconciler run, so a run's cost and duration stay bounded. */
  reconcileMaxMarkers: number;
  /** Certificate URL prefixes an MNS push may name (MNS_CERT_URL_PREFIXES); see shared/mnsPush. */
  mnsCertUrlPrefixes: readonly string[];
  stsEndpoint?: Endpoint;
  immEndpoint?: Endpoint;
  ossEndpoint?: string;
  /**
   * Reach OSS through `oss-<region>-internal.aliyuncs.com` (default on): inside FC that endpoint is free of
   * traffic charges (reference/deploy.md §3). Off for a function that must use the public endpoint. Ignored
   * when OSS_ENDPOINT is set.
   */
  ossInternal: boolean;
}

const DEFAULT_PREFIXES = { input: 'incoming/', results: 'results/', output: 'converted/' } as const;
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^acs:ram::\d+:role\/[A-Za-z0-9._-]{1,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const prefix = (name: string, fallback: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.check((p) => p.endsWith('/') && !p.startsWith('/') && p.length > 1, `${name} must be a non-empty key prefix ending in \`/\``),
    ),
    fallback,
  );

const endpoint = (name: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.check((raw) => ENDPOINT.test(raw), `${name} must be host[:port] or http(s)://host[:port]`),
      v.transform((raw): Endpoint => {
        const match = ENDPOINT.exec(raw) as RegExpExecArray;
        return { protocol: (match[1] as Endpoint['protocol'] | undefined) ?? 'https', host: match[2] };
      }),
    ),
  );

/** An optional whole number in [min, max], given as a string like every environment variable. */
const wholeNumber = (name: string, min: number, max: number, fallback: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, `${name} must be a whole number`),
      v.transform(Number),
      v.minValue(min, `${name} must be at least ${min}`),
      v.maxValue(max, `${name} must be at most ${max}`),
    ),
    String(fallback),
  );

/**
 * One message for what is wrong with an API_PREFIXES entry, or undefined: a key prefix ending in `/`, whose
 * segments are neither empty nor `.`/`..` and hold no control character (the same rule as an object key's).
 */
export function apiPrefixProblem(prefix: string): string | undefined {
  if (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.startsWith('\\')) return `API_PREFIXES: \`${prefix.slice(0, 80)}\` must be a key prefix ending in \`/\`, such as \`incoming/\``;
  const segments = prefix.slice(0, -1).split(/[/\\]/);
  if (/[\u0000-\u001f\u007f]/.test(prefix) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    return `API_PREFIXES: \`${prefix.slice(0, 80)}\` must not hold empty, \`.\` or \`..\` segments or control characters`;
  }
  return undefined;
}

const overlaps = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a);

/**
 * API_PREFIXES over its default (INPUT_PREFIX alone), with one message per problem. RESULTS_PREFIX holds sidecars and
 * claims, OUTPUT_PREFIX what IMM wrote: serving either would let a token holder read or convert the deployment's
 * own writes, so neither may overlap an API prefix.
 */
export function parseApiPrefixes(raw: string | undefined, prefixes: { input: string; results: string; output: string }): { prefixes: string[]; problems: string[] } {
  if (raw === undefined) return { prefixes: [prefixes.input], problems: [] };
  const entries = list(raw);
  if (entries.length === 0) return { prefixes: [], problems: ['API_PREFIXES must list at least one key prefix, or be unset'] };
  const problems: string[] = [];
  for (const entry of entries) {
    const problem = apiPrefixProblem(entry);
    if (problem) problems.push(problem);
    for (const [name, value] of [
      ['RESULTS_PREFIX', prefixes.results],
      ['OUTPUT_PREFIX', prefixes.output],
    ] as const) {
      if (overlaps(entry, value)) problems.push(`API_PREFIXES: \`${entry.slice(0, 80)}\` overlaps ${name} \`${value}\``);
    }
  }
  return { prefixes: entries, problems };
}

/** Under RESULTS_PREFIX: the markers of uploads whose sidecar is not final yet (shared/pending.ts). */
export const PENDING_DIR = '_pending/';
/**
 * A certificate URL prefix must end in `/` (else `https://mnstest.oss-cn-hangzhou.aliyuncs.com` would also allow
 * `…aliyuncs.com.evil.example`) and be https, except on the local machine: only a local configuration can make
 * the api trust a certificate served over plain http.
 */
export function certUrlPrefixProblem(prefix: string): string | undefined {
  let url: URL;
  try {
    url = new URL(prefix);
  } catch {
    return `MNS_CERT_URL_PREFIXES: \`${prefix}\` is not a URL`;
  }
  const local = url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
  if (url.protocol !== 'https:' && !local) return `MNS_CERT_URL_PREFIXES: \`${prefix}\` must be https (http only for 127.0.0.1 or localhost)`;
  if (url.username || url.password || url.search || url.hash || !prefix.endsWith('/') || url.href !== prefix) {
    return `MNS_CERT_URL_PREFIXES: \`${prefix}\` must be a plain URL ending in \`/\`, such as \`https://mnstest.oss-cn-hangzhou.aliyuncs.com/\``;
  }
  return undefined;
}

const ENDPOINT = /^(?:(https?):\/\/)?([A-Za-z0-9.-]+(?::\d{1,5})?)\/?$/;

const schema = v.pipe(
  v.object({
    // Required keys default to '' so that a missing key reads as a clear message, not a schema error.
    IMM_PROJECT: v.optional(v.pipe(v.string(), v.minLength(1, 'IMM_PROJECT is required')), ''),
    IMM_ROLE_ARN: v.optional(v.pipe(v.string(), v.regex(ROLE_ARN, 'IMM_ROLE_ARN must look like `acs:ram::<account-id>:role/<name>`'))),
    IMM_ROLE_EXTERNAL_ID: v.optional(
      v.pipe(v.string(), v.regex(EXTERNAL_ID, 'IMM_ROLE_EXTERNAL_ID must be 2–1224 characters of letters, digits and `+=,.@:/-_`')),
    ),
    REGION: v.optional(v.pipe(v.string(), v.regex(/^[a-z]{2}-[a-z0-9-]+$/, 'REGION must be a region id such as `cn-hangzhou`')), ''),
    ALLOWED_BUCKETS: v.optional(
      v.pipe(
        v.string(),
        v.transform((raw: string) => list(raw)),
        v.check((names: string[]) => names.length > 0, 'ALLOWED_BUCKETS is required: a comma-separated list of bucket names'),
        v.check((names: string[]) => names.every((n) => BUCKET_NAME.test(n)), 'ALLOWED_BUCKETS holds an invalid bucket name'),
      ),
      '',
    ),
    INPUT_PREFIX: prefix('INPUT_PREFIX', DEFAULT_PREFIXES.input),
    RESULTS_PREFIX: prefix('RESULTS_PREFIX', DEFAULT_PREFIXES.results),
    OUTPUT_PREFIX: prefix('OUTPUT_PREFIX', DEFAULT_PREFIXES.output),
    API_TOKENS_SHA256: v.optional(
      v.pipe(
        v.string(),
        v.transform((raw: string) => list(raw).map((h) => h.toLowerCase())),
        v.check((hashes: string[]) => hashes.every((h) => /^[0-9a-f]{64}$/.test(h)), 'API_TOKENS_SHA256 must hold hex SHA-256 hashes (64 hex characters each)'),
      ),
      '',
    ),
    // Checked apart (parseApiPrefixes), so that an overlap is reported even when another variable is invalid.
    API_PREFIXES: v.optional(v.string()),
    PREVIEW_ALLOW_EDIT: v.optional(v.picklist(['on', 'off'], 'PREVIEW_ALLOW_EDIT must be `on` or `off`'), 'off'),
    STS_DURATION_SECONDS: wholeNumber('STS_DURATION_SECONDS', 900, 43200, 3600),
    CLAIM_STALE_SECONDS: wholeNumber('CLAIM_STALE_SECONDS', 10, 86400, 900),
    BATCH_CONCURRENCY: wholeNumber('BATCH_CONCURRENCY', 1, 256, 16),
    // 0 asks IMM on every run; a longer wait leaves the notification time to arrive, so GetTask is rarely needed.
    RECONCILE_SUBMITTED_AFTER_SECONDS: wholeNumber('RECONCILE_SUBMITTED_AFTER_SECONDS', 0, 604800, 600),
    RECONCILE_MAX_MARKERS: wholeNumber('RECONCILE_MAX_MARKERS', 1, 100000, 1000),
    UPLOAD_ROUTES: v.optional(v.string()),
    // Empty means no notifications: task sidecars then stay `submitted` (GET /tasks still answers).
    IMM_NOTIFY_TOPIC: v.optional(v.pipe(v.string(), v.regex(/^(?:[A-Za-z][A-Za-z0-9-]{0,255})?$/, 'IMM_NOTIFY_TOPIC must be an MNS topic name (letters, digits, `-`), or empty'))),
    MNS_CERT_URL_PREFIXES: v.optional(
      v.pipe(
        v.string(),
        v.transform((raw: string) => list(raw)),
        v.rawCheck(({ dataset, addIssue }) => {
          if (!dataset.typed) return;
          if (dataset.value.length === 0) addIssue({ message: 'MNS_CERT_URL_PREFIXES must list at least one URL prefix, or be unset' });
          for (const prefix of dataset.value) {
            const problem = certUrlPrefixProblem(prefix);
            if (problem) addIssue({ message: problem });
          }
        }),
      ),
      MNS_CERT_URL_PREFIX,
    ),
    IMM_SESSION_POLICY: v.optional(v.picklist(['on', 'off'], 'IMM_SESSION_POLICY must be `on` or `off`'), 'on'),
    // RAM role names: 1–64 letters, digits, `.` and `-` (RAM CreateRole); the session policy names it in ram:PassRole.
    IMM_SERVICE_ROLE: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9.-]{1,64}$/, 'IMM_SERVICE_ROLE must be a RAM role name (1–64 letters, digits, `.` or `-`)')), 'AliyunIMMDefaultRole'),
    STS_ENDPOINT: endpoint('STS_ENDPOINT'),
    IMM_ENDPOINT: endpoint('IMM_ENDPOINT'),
    OSS_INTERNAL: v.optional(v.picklist(['on', 'off'], 'OSS_INTERNAL must be `on` or `off`'), 'on'),
    OSS_ENDPOINT: v.optional(v.pipe(v.string(), v.regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'OSS_ENDPOINT must be an http(s)://host[:port] URL'))),
  }),
  // The trigger watches INPUT_PREFIX; writing anywhere under it would invoke the function again, forever.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const env = dataset.value;
    for (const [name, value] of [
      ['RESULTS_PREFIX', env.RESULTS_PREFIX],
      ['OUTPUT_PREFIX', env.OUTPUT_PREFIX],
    ] as const) {
      if (overlaps(value, env.INPUT_PREFIX)) {
        addIssue({ message: `${name} \`${value}\` overlaps INPUT_PREFIX \`${env.INPUT_PREFIX}\`, which would make the trigger loop` });
      }
    }
    // Sidecars live at RESULTS_PREFIX + the source key, pending markers under RESULTS_PREFIX + `_pending/`: an input
    // prefix of `_pending/` would mix the two, and the reconciler would take sidecars for markers.
    if (env.INPUT_PREFIX.startsWith(PENDING_DIR)) addIssue({ message: `INPUT_PREFIX must not start with \`${PENDING_DIR}\`: RESULTS_PREFIX + \`${PENDING_DIR}\` holds the pending markers` });
  }),
);

/** Reads the configuration from an environment, or throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankToUndefined = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === '' ? undefined : v]));
  const parsed = v.safeParse(schema, blankToUndefined);
  const routes = parseUploadRoutes(blankToUndefined.UPLOAD_ROUTES, DEFAULT_UPLOAD_ROUTES);
  const apiPrefixes = parseApiPrefixes(blankToUndefined.API_PREFIXES, {
    input: blankToUndefined.INPUT_PREFIX ?? DEFAULT_PREFIXES.input,
    results: blankToUndefined.RESULTS_PREFIX ?? DEFAULT_PREFIXES.results,
    output: blankToUndefined.OUTPUT_PREFIX ?? DEFAULT_PREFIXES.output,
  });
  const problems = [...routes.problems, ...apiPrefixes.problems];
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError([...(parsed.success ? [] : parsed.issues.map((issue) => issue.message)), ...problems]);
  }
  const e = parsed.output;
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
    apiPrefixes: apiPrefixes.prefixes,
    previewAllowEdit: e.PREVIEW_ALLOW_EDIT === 'on',
    stsDurationSeconds: e.STS_DURATION_SECONDS,
    claimStaleSeconds: e.CLAIM_STALE_SECONDS,
    batchConcurrency: e.BATCH_CONCURRENCY,
    sessionPolicy: e.IMM_SESSION_POLICY === 'on',
    immServiceRole: e.IMM_SERVICE_ROLE,
    uploadRoutes: routes.routes,
    notifyTopic: e.IMM_NOTIFY_TOPIC || undefined,
    reconcileSubmittedAfterSeconds: e.RECONCILE_SUBMITTED_AFTER_SECONDS,
    reconcileMaxMarkers: e.RECONCILE_MAX_MARKERS,
    mnsCertUrlPrefixes: e.MNS_CERT_URL_PREFIXES,
    stsEndpoint: e.STS_ENDPOINT,
    immEndpoint: e.IMM_ENDPOINT,
    ossEndpoint: e.OSS_ENDPOINT?.replace(/\/$/, ''),
    ossInternal: e.OSS_INTERNAL === 'on',
  };
}
