import { isIP } from 'node:net';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CONNECTIONS_PER_ENDPOINT } from './lib/webhook-limits.ts';
import { sizeToBytes } from './lib/size.ts';
import type { OutboundPolicy } from './lib/outbound-url.ts';

/**
 * Configuration is read once at start-up: config/default.json, then
 * config/<NODE_ENV>.json, then environment variables. The result is validated
 * and frozen; every problem is reported at once, each naming its source.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const sizePattern = /^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i;

/**
 * A size limit (`1mb`, `512kb`). Below 1kb it would refuse what it is for (`BODY_LIMIT=0`: every
 * body answered 413, not a start-up error), so that is refused at start-up.
 */
function sizeLimit(example: string, refused: string) {
  return z
    .string()
    .regex(sizePattern, `must be a size such as ${example}`)
    .refine((size) => !sizePattern.test(size) || sizeToBytes(size) >= 1024, `must be at least 1kb: ${refused} would be refused with 413`);
}

const schema = z.strictObject({
  port: z.number().int().min(0).max(65535),
  /** The Prometheus listener (http/metrics-listener.ts): off without a port; never the main port. */
  metrics: z.strictObject({
    port: z.number().int().min(0).max(65535).optional(),
    host: z.string().refine(isListenHost, { error: (issue) => `must be an address to listen on (127.0.0.1; 0.0.0.0 in a container) or a host name (got "${String(issue.input)}")` }),
  }),
  dataDir: z.string().min(1),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  publicUrl: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).superRefine(refuseBeyondOrigin).optional(),
  migrateOnStart: z.boolean(),
  logLevel: z.enum(logLevels, { error: (issue) => `must be one of ${logLevels.join(', ')} (got "${String(issue.input)}")` }),
  bodyLimit: sizeLimit('1mb or 512kb', 'every request with a body'),
  /** JSON bodies nested deeper than this are refused with 400 (SCIM resources nest three levels). */
  bodyMaxDepth: z.number().int().min(4).max(1000),
  trustProxy: z.union([
    z.boolean(),
    z.number().int().min(0),
    z.string().min(1).refine(isTrustProxyList, 'must be true, false, a number of hops, or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal'),
  ]),
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .refine((url) => !/^smtps?:\/\//.test(url) || hasHost(url), "must name the mail server's host (smtp://user:password@mail.example:587)")
    .optional(),
  // Without an address (`MAIL_FROM=Gatehouse`) nodemailer sent every mail with no From header and an empty envelope sender.
  mailFrom: z.string().refine(isMailbox, 'must be an address, alone or as Name <address> (Gatehouse <no-reply@id.example.com>)'),
  sessionSecret: z.string().min(32, 'must be at least 32 characters').optional(),
  shutdownTimeoutMs: z.number().int().min(0),
  /** A request whose headers and body have not all arrived by then is cut off (408): a client sending a byte every few seconds cannot hold a connection. */
  requestTimeoutMs: z.number().int().min(1000),
  database: z.strictObject({
    poolMax: z.number().int().min(1).max(200),
    connectTimeoutMs: z.number().int().min(100),
    /** How long the server's start-up keeps trying a PostgreSQL it cannot reach yet (started with it); 0: fail at once. */
    startupWaitMs: z.number().int().min(0).max(3_600_000),
  }),
  saml: z.strictObject({
    /** Tolerated difference between the IdP's clock and ours for NotBefore / NotOnOrAfter. */
    clockSkewMs: z.number().int().min(0).max(600_000),
    /** How long an AuthnRequest may wait for its Response. */
    requestTtlMs: z.number().int().min(10_000),
    acsBodyLimit: sizeLimit('256kb', 'every SAML response'),
    /**
     * How often each connection configured from an IdP metadata URL is fetched again in the
     * background (saml/metadata-refresh-job.ts), picking up the certificate the IdP publishes
     * before a rollover; a failing one is not tried more often. 0 turns the refresh off.
     */
    metadataRefreshIntervalMs: z.number().int().min(0).max(30 * 86_400_000).refine((ms) => ms === 0 || ms >= 60_000, 'must be 0 (off) or at least 60000 (a minute)'),
    /**
     * Failed ACS posts: per client address beyond `perClient` answer 429 (a valid response
     * still signs in); beyond `perOrgAudit` an org's further failures are logged only, not
     * written to the audit trail and the feed (anyone can post to an ACS).
     */
    failureLimit: z.strictObject({
      perClient: z.strictObject({ requestsPerSecond: z.number().positive(), burst: z.number().int().min(1) }),
      perOrgAudit: z.strictObject({ requestsPerSecond: z.number().positive(), burst: z.number().int().min(1) }),
    }),
  }),
  sessions: z.strictObject({
    maxPerUser: z.number().int().min(1).max(100),
    ttlMs: z.number().int().min(60_000),
  }),
  mail: z.strictObject({
    /** How often the outbox worker looks for due messages when nothing nudged it. */
    pollIntervalMs: z.number().int().min(100),
    /** A claimed message is invisible to other workers this long; a crashed worker's claim lapses. */
    claimTimeoutMs: z.number().int().min(1000),
    /** Messages one `deliverDue` pass sends at most. */
    batchSize: z.number().int().min(1).max(1000),
    retry: z.strictObject({
      maxAttempts: z.number().int().min(1).max(100),
      baseDelayMs: z.number().int().min(0),
      maxDelayMs: z.number().int().min(0),
      /** Random extra delay, as a fraction of the delay, so failing messages do not retry in lockstep. */
      jitter: z.number().min(0).max(1),
    }),
  }),
  auth: z.strictObject({
    /** How long a valid bearer token is remembered; a revocation elsewhere takes effect within this. 0 = never cached. */
    tokenCacheMs: z.number().int().min(0).max(60_000),
    /** RFC 7914 scrypt cost. Changing it re-hashes each password at its next sign-in. */
    scrypt: z.strictObject({
      N: z.number().int().min(2).refine((n) => (n & (n - 1)) === 0, 'must be a power of 2'),
      r: z.number().int().min(1).max(64),
      p: z.number().int().min(1).max(16),
      keylen: z.number().int().min(16).max(128),
    }),
    lockout: z.strictObject({
      /** Every this many consecutive failures locks the account… */
      maxFailures: z.number().int().min(1),
      /** …for this long, doubling with each further lock, up to maxLockMs. */
      lockMs: z.number().int().min(1000),
      maxLockMs: z.number().int().min(1000),
    }),
    /** Per client IP, over password sign-in and reset requests. */
    rateLimit: z.strictObject({
      requestsPerSecond: z.number().positive(),
      burst: z.number().int().min(1),
    }),
    resetTtlMs: z.number().int().min(60_000),
  }),
  /** The licence terms people accept when they register from an invitation; the version is stored with the acceptance. */
  eula: z.strictObject({
    version: z.string().min(1).max(50),
    url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).optional(),
  }),
  /** How often the daily job purges users deleted more than 30 days ago (each instance runs it; it is idempotent). */
  purge: z.strictObject({
    intervalMs: z.number().int().min(60_000),
    initialDelayMs: z.number().int().min(0),
    /** Mail that left the outbox, ended sessions, spent challenges and reset links, finished imports: kept this long (housekeeping.ts). */
    keepSpentDays: z.number().int().min(1).max(3650),
  }),
  /** CSV imports (issue 6): an upload over maxFileSize is refused with 413, a row over maxRowChars with 400. */
  imports: z.strictObject({
    maxFileSize: sizeLimit('50mb', 'every import upload'),
    maxRowChars: z.number().int().min(1024).max(10_000_000),
  }),
  /** The change feed (issue 8, directory/event-feed.ts). */
  events: z.strictObject({
    /** Published events older than this are pruned (with their webhook deliveries). */
    retentionDays: z.number().int().min(1).max(3650),
    /** How often the publisher numbers newly committed events (the feed's and webhooks' latency floor). */
    publishIntervalMs: z.number().int().min(10).max(60_000),
    publishBatchSize: z.number().int().min(1).max(100_000),
    /** How often invitations that passed their expiry are announced (invitation.expired). */
    expiryIntervalMs: z.number().int().min(1000),
    pruneIntervalMs: z.number().int().min(60_000),
  }),
  /** Webhook delivery (directory/webhook-deliveries.ts) and its SSRF rules (lib/outbound-url.ts). */
  webhooks: z.strictObject({
    /** Allow http:// endpoints (development and tests); production endpoints must be https. */
    allowHttp: z.boolean(),
    /** Allow endpoints on private, loopback and link-local addresses (an operator's own network). */
    allowPrivateNetworks: z.boolean(),
    timeoutMs: z.number().int().min(100).max(120_000),
    /** A delivery still failing this long after it was queued is dead-lettered. */
    maxAgeMs: z.number().int().min(1000),
    pollIntervalMs: z.number().int().min(10),
    batchSize: z.number().int().min(1).max(1000),
    /** Endpoints one instance has requests in flight to at most (each up to 16 requests): a slow one holds only its own slot. */
    maxEndpointsInFlight: z.number().int().min(1).max(10_000),
    claimTimeoutMs: z.number().int().min(1000),
    retry: z.strictObject({
      baseDelayMs: z.number().int().min(0),
      maxDelayMs: z.number().int().min(0),
      jitter: z.number().min(0).max(1),
    }),
  }).superRefine((w, ctx) => {
    // Each request may take timeoutMs from its own start, an endpoint's page of up to batchSize events goes out
    // CONNECTIONS_PER_ENDPOINT at a time: a lease shorter than that would let another instance send the page
    // again while it is still in flight.
    const rounds = Math.ceil(w.batchSize / CONNECTIONS_PER_ENDPOINT);
    if (w.claimTimeoutMs > rounds * w.timeoutMs) return;
    ctx.addIssue({
      code: 'custom',
      path: ['claimTimeoutMs'],
      message: `must be longer than a delivery pass may take, ceil(webhooks.batchSize / ${CONNECTIONS_PER_ENDPOINT}) × webhooks.timeoutMs `
        + `= ${rounds} × ${w.timeoutMs} = ${rounds * w.timeoutMs} ms (raise it, or lower webhooks.timeoutMs or webhooks.batchSize)`,
    });
  }),
  scim: z.strictObject({
    maxResults: z.number().int().min(1).max(100000),
    /** PATCH requests with more Operations are refused with 413 (RFC 7644 §3.5.2 sets no limit). */
    maxPatchOperations: z.number().int().min(1).max(100000),
    /** Group members one POST, PUT or PATCH may name; more is refused with 413. */
    maxMembersPerRequest: z.number().int().min(1).max(1000000),
    /** The largest JSON body on /scim/v2 (bodyLimit is for the rest): room for maxMembersPerRequest members with display names. */
    bodyLimit: sizeLimit('5mb or 512kb', 'every SCIM request with a body'),
    /**
     * SCIM body bytes all requests in flight may hold at once (http/body-budget.ts); unset: 4 × bodyLimit.
     * A body that would go over it waits briefly, then is answered 429; one under 64 KB is never counted.
     */
    bodyBudget: sizeLimit('20mb', 'every large SCIM request').optional(),
    /** Refused SCIM requests kept per org for its admins (directory/scim-problems.ts); the oldest go first. */
    problemsPerOrg: z.number().int().min(1).max(100000),
    rateLimit: z.strictObject({
      requestsPerSecond: z.number().positive(),
      burst: z.number().int().min(1),
    }),
  }).superRefine((scim, ctx) => {
    // Smaller than one body of the largest size accepted, such a body could never be read: a 429 forever.
    if (scim.bodyBudget === undefined || !sizePattern.test(scim.bodyBudget) || !sizePattern.test(scim.bodyLimit)) return;
    if (sizeToBytes(scim.bodyBudget) >= sizeToBytes(scim.bodyLimit)) return;
    ctx.addIssue({
      code: 'custom',
      path: ['bodyBudget'],
      message: `must be at least scim.bodyLimit (SCIM_BODY_LIMIT, ${scim.bodyLimit}): a body of that size would never fit and be answered 429 forever`,
    });
  }),
}).superRefine((config, ctx) => {
  // Both 0 (tests) is two free ports; the same port would put /metrics on the public listener, or fail to listen.
  if (config.metrics.port === undefined || config.metrics.port === 0 || config.metrics.port !== config.port) return;
  ctx.addIssue({
    code: 'custom',
    path: ['metrics', 'port'],
    message: `must differ from PORT (${config.port}): metrics are served on a listener of their own, never on the main port`,
  });
});

type Parsed = z.infer<typeof schema>;

export type Config = Readonly<Parsed & {
  publicUrl: string;
  /** PUBLIC_URL (or `publicUrl`) was set, even to what the default would be (a CLI says so when it was not). */
  publicUrlGiven: boolean;
  environment: string;
  /** Settings that are allowed but probably not meant: the server logs each at start-up, the CLI prints it. */
  warnings: readonly string[];
}>;

/**
 * The SSRF rules for every URL Gatehouse fetches on an org admin's behalf — webhook endpoints and
 * SAML IdP metadata URLs — read from WEBHOOKS_ALLOW_HTTP and WEBHOOKS_ALLOW_PRIVATE_NETWORKS. One
 * place, so the server (admin API, background refresh, webhook worker) and the CLI (`saml set
 * --metadata-url`, `saml refresh`) apply the same settings the same way.
 */
export function outboundPolicy(config: Config): OutboundPolicy {
  return { allowHttp: config.webhooks.allowHttp, allowPrivateNetworks: config.webhooks.allowPrivateNetworks };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Environment variable → config key, and how to read its text. */
const envMap: Array<[string, string, (raw: string) => unknown]> = [
  ['PORT', 'port', asInteger],
  ['METRICS_PORT', 'metrics.port', asInteger],
  ['METRICS_HOST', 'metrics.host', String],
  ['DATA_DIR', 'dataDir', String],
  ['DATABASE_URL', 'databaseUrl', String],
  ['DATABASE_STARTUP_WAIT_MS', 'database.startupWaitMs', asInteger],
  ['PUBLIC_URL', 'publicUrl', (raw) => raw.replace(/\/+$/, '')],
  ['MIGRATE_ON_START', 'migrateOnStart', asBoolean],
  ['LOG_LEVEL', 'logLevel', (raw) => raw.toLowerCase()],
  ['BODY_LIMIT', 'bodyLimit', String],
  ['BODY_MAX_DEPTH', 'bodyMaxDepth', asInteger],
  ['SCIM_BODY_LIMIT', 'scim.bodyLimit', String],
  ['SCIM_BODY_BUDGET', 'scim.bodyBudget', String],
  ['TRUST_PROXY', 'trustProxy', asTrustProxy],
  ['SMTP_URL', 'smtpUrl', String],
  ['MAIL_FROM', 'mailFrom', String],
  ['SESSION_SECRET', 'sessionSecret', String],
  ['IMPORT_MAX_FILE_SIZE', 'imports.maxFileSize', String],
  ['SCIM_RATE_LIMIT_RPS', 'scim.rateLimit.requestsPerSecond', asNumber],
  ['SCIM_RATE_LIMIT_BURST', 'scim.rateLimit.burst', asInteger],
  ['EVENTS_RETENTION_DAYS', 'events.retentionDays', asInteger],
  ['SAML_METADATA_REFRESH_INTERVAL_MS', 'saml.metadataRefreshIntervalMs', asInteger],
  ['WEBHOOKS_ALLOW_HTTP', 'webhooks.allowHttp', asBoolean],
  ['WEBHOOKS_ALLOW_PRIVATE_NETWORKS', 'webhooks.allowPrivateNetworks', asBoolean],
  ['WEBHOOKS_CLAIM_TIMEOUT_MS', 'webhooks.claimTimeoutMs', asInteger],
];

export interface LoadOptions {
  env?: Env;
  configDir?: string;
  /** Values that win over files and env: tests use this to pick ports and databases. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? path.resolve(import.meta.dirname, '..', 'config');
  const environment = env.NODE_ENV?.trim() || 'development';
  const problems: string[] = [];

  let merged: Record<string, unknown> = readJson(path.join(configDir, 'default.json'), problems, true);
  // A mistyped NODE_ENV ("prodution") would silently run on the development settings while the
  // operator believes config/production.json in force: only the names config/ knows are accepted.
  const environments = knownEnvironments(configDir);
  if (!environments.includes(environment)) {
    problems.push(`NODE_ENV: must be one of ${environments.join(', ')} (got "${env.NODE_ENV}"); each but development reads config/<NODE_ENV>.json over config/default.json`);
  } else if (environment !== 'development') {
    merged = deepMerge(merged, readJson(path.join(configDir, `${environment}.json`), problems, true));
  }

  for (const [name, key, read] of envMap) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const value = read(raw.trim());
    if (value instanceof Error) problems.push(`${name}: ${value.message} (got "${raw}")`);
    else merged = deepMerge(merged, nested(key, value));
  }
  if (options.overrides) merged = deepMerge(merged, options.overrides);
  const warnings: string[] = [];
  checkEmptyDatabaseUrl(env, environment, merged, problems, warnings);

  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path.join('.');
      const envName = envMap.find(([, k]) => k === key)?.[0];
      // A misspelt key in config/*.json (every object is strict) names the file's key, not a silent default.
      if (issue.code === 'unrecognized_keys') {
        for (const unknown of issue.keys) problems.push(`${[key, unknown].filter(Boolean).join('.')}: is not a setting (misspelt? see config/default.json)`);
        continue;
      }
      problems.push(`${envName ? `${envName} (${key})` : key}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const value = parsed.data;
  checkScimBodyLimit(value.scim, warnings);
  return deepFreeze({
    ...value,
    dataDir: path.resolve(value.dataDir),
    publicUrl: value.publicUrl ? new URL(value.publicUrl).origin : `http://localhost:${value.port}`,
    publicUrlGiven: Boolean(value.publicUrl),
    environment,
    warnings,
  });
}

/** The SCIM body bytes requests in flight may hold at once: scim.bodyBudget, else 4 × scim.bodyLimit. */
export function scimBodyBudget(scim: { bodyLimit: string; bodyBudget?: string | undefined }): number {
  return scim.bodyBudget === undefined ? 4 * sizeToBytes(scim.bodyLimit) : sizeToBytes(scim.bodyBudget);
}

/** What a group member with a display name may take in a SCIM body, generously: `{"value":"…","display":"…"}` is about 100. */
export const SCIM_BYTES_PER_MEMBER = 512;

/**
 * A SCIM body limit too small for scim.maxMembersPerRequest members (one was raised, the other not) answers a large
 * group write with a 413 for its size, where the member count was what its IdP admin could act on: said at start-up.
 */
function checkScimBodyLimit(scim: { bodyLimit: string; maxMembersPerRequest: number }, warnings: string[]): void {
  const bytes = sizeToBytes(scim.bodyLimit);
  const needed = scim.maxMembersPerRequest * SCIM_BYTES_PER_MEMBER;
  if (bytes >= needed) return;
  warnings.push(`scim.bodyLimit (SCIM_BODY_LIMIT) is ${bytes} bytes, less than ${SCIM_BYTES_PER_MEMBER} bytes for each of the scim.maxMembersPerRequest ${scim.maxMembersPerRequest} members (${needed} bytes): `
    + 'a group write naming that many members with display names would be refused for its size instead of its member count; raise SCIM_BODY_LIMIT or lower scim.maxMembersPerRequest');
}

/**
 * An empty variable counts as unset, but `DATABASE_URL=` (an env file templated with nothing) would run
 * on the embedded store while the operator believes PostgreSQL in use: refused in production, a warning elsewhere.
 */
function checkEmptyDatabaseUrl(env: Env, environment: string, merged: Record<string, unknown>, problems: string[], warnings: string[]): void {
  if (env.DATABASE_URL === undefined || env.DATABASE_URL.trim() !== '' || merged.databaseUrl !== undefined) return;
  if (environment === 'production') {
    problems.push('DATABASE_URL: is set but empty; unset it to use the embedded store (DATA_DIR), or set it to a postgres:// URL');
    return;
  }
  const dataDir = typeof merged.dataDir === 'string' ? path.resolve(merged.dataDir) : 'DATA_DIR';
  warnings.push(`DATABASE_URL is set but empty: using the embedded store in ${dataDir}; unset it to use the embedded store, or set it to a postgres:// URL`);
}

/** `development` (config/default.json alone, or with a development.json) and every other config/<name>.json. */
function knownEnvironments(configDir: string): string[] {
  let files: string[] = [];
  try {
    files = readdirSync(configDir);
  } catch {
    // A missing directory is reported as its missing default.json.
  }
  const named = files.filter((f) => f.endsWith('.json') && f !== 'default.json').map((f) => f.slice(0, -'.json'.length));
  return [...new Set(['development', ...named])].sort();
}

function readJson(file: string, problems: string[], required: boolean): Record<string, unknown> {
  if (!existsSync(file)) {
    if (required) problems.push(`${file}: file is missing`);
    return {};
  }
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
    problems.push(`${file}: must hold a JSON object`);
  } catch (error) {
    problems.push(`${file}: ${(error as Error).message}`);
  }
  return {};
}

/** 'a.b.c', v → {a: {b: {c: v}}} */
function nested(key: string, value: unknown): Record<string, unknown> {
  return key.split('.').reduceRight<Record<string, unknown>>((inner, part, i, parts) => (i === parts.length - 1 ? { [part]: value } : { [part]: inner }), {});
}

function asNumber(raw: string): number | Error {
  // A sign is read, so the schema states the real bound ("-3": too small, not "not a number").
  return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : new Error('must be a number');
}

function asInteger(raw: string): number | Error {
  return /^-?\d+$/.test(raw) ? Number(raw) : new Error('must be a whole number');
}

function asBoolean(raw: string): boolean | Error {
  const text = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  return new Error('must be true or false');
}

/**
 * Express's `trust proxy`: a boolean, a hop count, or a list of addresses/subnets. Digits are a hop
 * count before anything else: `1` (one load balancer) read as `true` would trust every hop, and make
 * the left-most X-Forwarded-For entry, which the client writes, its address.
 */
function asTrustProxy(raw: string): boolean | number | string {
  if (/^\d+$/.test(raw)) return Number(raw);
  const bool = asBoolean(raw);
  return typeof bool === 'boolean' ? bool : raw;
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * PUBLIC_URL is an origin: Gatehouse serves from the root of its host (its redirects, page links,
 * assets and the `__Host-` session cookie use absolute paths), so behind a proxy that strips a
 * prefix SCIM would work while every sign-in ended on a path the proxy does not route.
 */
function refuseBeyondOrigin(value: string, ctx: z.RefinementCtx): void {
  const url = URL.parse(value);
  if (!url) return; // not a URL at all: z.url() said so
  const extra = url.username || url.password ? 'a user name or password'
    : url.pathname !== '/' ? `path "${url.pathname}"`
    : url.search ? `query "${url.search}"`
    : url.hash ? `fragment "${url.hash}"`
    : undefined;
  if (!extra) return;
  ctx.addIssue({
    message: `must be where Gatehouse is served, scheme, host and port only (https://id.example.com): it serves from the root of its host, `
      + `its pages and redirects use absolute paths such as /console, so it cannot sit under a path prefix (got ${extra})`,
    code: 'custom',
  });
}

/** What Express's `trust proxy` reads as a list: addresses, CIDR ranges (`10.0.0.0/8`) and its three names. */
function hasHost(url: string): boolean {
  try {
    return new URL(url).hostname !== '';
  } catch {
    return false;
  }
}

/** `ops@example.com` or `Name <ops@example.com>` (RFC 5322 mailbox, in the forms operators write). */
function isMailbox(value: string): boolean {
  const match = /^(?:[^<>]*<([^<>]+)>|([^<>]+))$/.exec(value.trim());
  return /^[^\s@]+@[^\s@]+$/.test((match?.[1] ?? match?.[2] ?? '').trim());
}

/** An IPv4 or IPv6 address, or a host name (`localhost`): what `server.listen(port, host)` takes. */
function isListenHost(value: string): boolean {
  return isIP(value) !== 0 || /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value);
}

function isTrustProxyList(value: string): boolean {
  return value.split(',').map((part) => part.trim()).every((part) => {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(part)) return true;
    const [address = '', prefix, ...rest] = part.split('/');
    const family = isIP(address);
    if (!family || rest.length) return false;
    return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  });
}
