import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_ABANDON_FINAL_AFTER_MS } from '../mapping/change-mapper.ts';

// Configuration: defaults < YAML file < environment. Every key can be set from the environment as
// REVIEWTRACE_<SECTION>__<KEY> (double underscore between levels, camelCase as SNAKE_CASE), e.g.
// REVIEWTRACE_GERRIT__SSH__HOST. Validation is by schema; errors name the key and what it expects.

const duration = z.number().int().positive();
const port = z.number().int().min(1).max(65535);

const hostKeySchema = z
  .object({
    /** OpenSSH SHA256 fingerprint ("SHA256:…"), as `ssh-keygen -lf` prints it. */
    fingerprint: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'an OpenSSH SHA256 fingerprint like "SHA256:AbC…" (43 base64 characters)')
      .optional(),
    /** An OpenSSH known_hosts file that lists the Gerrit host (hashed entries work). */
    knownHostsFile: z.string().min(1).optional(),
    /** Accept any host key. For local experiments only: logs a warning on every start. */
    insecureAcceptAny: z.boolean().default(false),
  })
  .strict()
  .default({ insecureAcceptAny: false });

const sshSchema = z
  .object({
    host: z.string().min(1),
    port: port.default(29418),
    username: z.string().min(1),
    privateKeyFile: z.string().min(1),
    passphrase: z.string().optional(),
    hostKey: hostKeySchema,
    keepaliveIntervalMs: duration.default(15_000),
    keepaliveCountMax: z.number().int().min(1).default(3),
    /** A connection with no data for this long is probed; an unanswered probe means reconnect. */
    watchdogMs: duration.default(120_000),
    connectTimeoutMs: duration.default(20_000),
    reconnectInitialMs: duration.default(1_000),
    reconnectMaxMs: duration.default(60_000),
    /**
     * Longest stream-events line kept, in bytes; a longer one is dropped up to its newline, counted
     * and reconciled from REST. Above Gerrit's own cap on all comments and change messages of a
     * change (change.cumulativeCommentSizeLimit, 3 MiB by default); at least 64 KiB, because an
     * ordinary event with a full 16 KiB comment and a long commit message must fit.
     */
    maxLineBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(4 * 1024 * 1024),
  })
  .strict();

const gerritSchema = z
  .object({
    ssh: sshSchema.optional(),
    /** REST API for reconcile and backfill: base URL plus an account's HTTP credentials. */
    http: z
      .object({
        url: z.url(),
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        timeoutMs: duration.default(30_000),
      })
      .strict()
      .optional(),
    /** Identity of this Gerrit in trace ids; default: host of gerrit.http.url, else gerrit.ssh.host. */
    serverId: z.string().min(1).optional(),
    /** How far before the watermark a reconcile starts, to cover clock skew and in-flight events. */
    reconcileOverlapSeconds: z.number().int().min(0).default(300),
    /** Changes fetched per REST page. */
    pageSize: z.number().int().min(1).max(500).default(100),
    /** Live events held for one change while it is rebuilt from REST (the other changes flow on). */
    maxHeldEventsPerChange: z.number().int().min(1).default(1_000),
    /** Live events held for all changes being rebuilt together. */
    maxHeldEvents: z.number().int().min(1).default(20_000),
    /** Change histories read from Gerrit REST at once to rebuild single changes (the others wait their turn). */
    maxConcurrentRebuilds: z.number().int().min(1).max(64).default(4),
    /** First retry of a failed reconcile or change rebuild; the delay doubles up to reconcileRetryMaxMs. */
    reconcileRetryInitialMs: duration.default(5_000),
    reconcileRetryMaxMs: duration.default(300_000),
  })
  .strict()
  .default({
    reconcileOverlapSeconds: 300,
    pageSize: 100,
    maxHeldEventsPerChange: 1_000,
    maxHeldEvents: 20_000,
    maxConcurrentRebuilds: 4,
    reconcileRetryInitialMs: 5_000,
    reconcileRetryMaxMs: 300_000,
  });

const tempoSchema = z
  .object({
    /** OTLP/HTTP traces endpoint. */
    otlpEndpoint: z.url().default('http://localhost:4318/v1/traces'),
    /** Tempo's HTTP API (search, trace by id) for `doctor` and the query API. */
    queryUrl: z.url().default('http://localhost:3200'),
    /** Sent as X-Scope-OrgID on every request (multi-tenant Tempo). */
    tenant: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: duration.default(10_000),
    /**
     * Ask Tempo to gzip its query answers. Worth it when Tempo is far away; near it, compressing a
     * 10 MB search answer costs Tempo more time than the transfer it saves (bench:ui).
     */
    queryGzip: z.boolean().default(false),
    /** gzip the OTLP export requests (span batches compress about tenfold; Tempo's receiver accepts gzip). */
    exportGzip: z.boolean().default(true),
  })
  .strict()
  .default({
    otlpEndpoint: 'http://localhost:4318/v1/traces',
    queryUrl: 'http://localhost:3200',
    headers: {},
    timeoutMs: 10_000,
    queryGzip: false,
    exportGzip: true,
  });

const exportSchema = z
  .object({
    batchSpans: z.number().int().min(1).max(10_000).default(512),
    batchBytes: z
      .number()
      .int()
      .min(1024)
      .default(4 * 1024 * 1024),
    /** Outbox bound, in spans. At the bound ingestion pauses until Tempo accepts spans again. */
    maxOutboxSpans: z.number().int().min(100).default(2_000_000),
    warnFillRatio: z.number().gt(0).max(1).default(0.8),
    minBackoffMs: duration.default(500),
    maxBackoffMs: duration.default(30_000),
    idleMs: duration.default(1_000),
    /** While Tempo does not accept spans, a progress line (retries, outbox depth) at most this often. */
    outageLogMs: duration.default(30_000),
    /**
     * After an export with an unknown outcome (timeout, lost answer, a stop between send and
     * acknowledgement), how long to wait before reading its traces back from Tempo to see which spans
     * arrived: the time Tempo needs to answer a trace by id with what it accepted.
     */
    readBackDelayMs: duration.default(5_000),
  })
  .strict()
  .default({
    batchSpans: 512,
    batchBytes: 4 * 1024 * 1024,
    maxOutboxSpans: 2_000_000,
    warnFillRatio: 0.8,
    minBackoffMs: 500,
    maxBackoffMs: 30_000,
    idleMs: 1_000,
    outageLogMs: 30_000,
    readBackDelayMs: 5_000,
  });

const verifySchema = z
  .object({
    /** How often the running sidecar reads a sample of exported changes back from Tempo; 0: never. */
    intervalMs: z.number().int().min(0).default(300_000),
    /** Closed changes read back per run. */
    sampleTraces: z.number().int().min(1).max(1_000).default(20),
    /**
     * Only changes whose spans all left the outbox at least this long ago are read back: the time
     * Tempo needs before a trace by id and a search show what it accepted.
     */
    minAgeMs: duration.default(120_000),
  })
  .strict()
  .default({ intervalMs: 300_000, sampleTraces: 20, minAgeMs: 120_000 });

const mappingSchema = z
  .object({
    /** Regexes (JavaScript syntax) matched against username, email and name to find CI bots. */
    botAccounts: z.array(z.string().min(1)).default(['(^|[-_.])(ci|bot|jenkins|zuul)([-_.@]|$)']),
    ciLabel: z.string().min(1).default('Verified'),
    commentMaxChars: z.number().int().min(0).default(1000),
    /**
     * How long a change must stay abandoned before its root span is written (Tempo keeps the first
     * copy of a span, so a root written at the abandon would be wrong for a change restored later).
     */
    abandonFinalAfterMs: duration.default(DEFAULT_ABANDON_FINAL_AFTER_MS),
  })
  .strict()
  .default({
    botAccounts: ['(^|[-_.])(ci|bot|jenkins|zuul)([-_.@]|$)'],
    ciLabel: 'Verified',
    commentMaxChars: 1000,
    abandonFinalAfterMs: DEFAULT_ABANDON_FINAL_AFTER_MS,
  });

const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./data'),
    /** SQLite file; default <dataDir>/reviewtrace.db. */
    databasePath: z.string().min(1).optional(),
    serviceName: z.string().min(1).default('gerrit'),
    gerrit: gerritSchema,
    tempo: tempoSchema,
    export: exportSchema,
    verify: verifySchema,
    mapping: mappingSchema,
    query: z
      .object({
        /** Closed changes read from Tempo for one time range, at most. */
        maxChanges: z.number().int().min(1).max(100_000).default(20_000),
        /** How long one Tempo search result serves list requests (paging, sorting, filtering). */
        cacheSeconds: z.number().int().min(0).default(15),
        /** The range's Tempo search is split into this many time slices, searched in parallel. */
        searchSlices: z.number().int().min(1).max(16).default(2),
        /** The longest range one request of the Code Review page may ask for, in days. */
        maxRangeDays: z.number().int().min(1).max(36_500).default(731),
      })
      .strict()
      .default({ maxChanges: 20_000, cacheSeconds: 15, searchSlices: 2, maxRangeDays: 731 }),
    /** The change index: closed changes' summaries in the database, so the list need not search Tempo. */
    index: z
      .object({
        /** Off: the list searches Tempo for closed changes on every (uncached) request, as before. */
        enabled: z.boolean().default(true),
        /** Summaries of changes closed longer ago are pruned; set it to Tempo's block_retention. */
        retentionDays: z.number().int().min(1).max(3660).default(365),
        /** A rebuild searches Tempo in slices this long (a slice too full for one search is halved). */
        rebuildSliceHours: z.number().int().min(1).max(8760).default(168),
      })
      .strict()
      .default({ enabled: true, retentionDays: 365, rebuildSliceHours: 168 }),
    /** Bounds on the database's bookkeeping over years of history (docs/architecture.md, "Bounded storage"). */
    storage: z
      .object({
        /**
         * The state of a change abandoned for good is dropped this long after its last event (0: kept
         * forever). A later restore rebuilds the change from REST, so keep 0 without gerrit.http.
         */
        abandonedRetentionDays: z.number().int().min(0).max(36_500).default(90),
        /** Spans Tempo refused, kept for an operator: the oldest beyond this many are dropped. */
        deadLetterMaxSpans: z.number().int().min(1).default(10_000),
        /** Spans Tempo refused are dropped this long after they were set aside. */
        deadLetterRetentionDays: z.number().int().min(1).max(36_500).default(30),
      })
      .strict()
      .default({ abandonedRetentionDays: 90, deadLetterMaxSpans: 10_000, deadLetterRetentionDays: 30 }),
    http: z
      .object({
        /** Loopback by default: the image and docker compose set 0.0.0.0 explicitly. */
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8686),
        /** Bearer token the query API requires (the Grafana app's proxy route sends it). */
        apiToken: z.string().min(16, 'at least 16 characters').optional(),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8686 }),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

export type Config = z.infer<typeof configSchema> & {
  databasePath: string;
  /** gerrit.serverId, else derived canonically (see canonicalServerId); the database may keep another (server-identity.ts). */
  serverId: string;
  serverIdConfigured: boolean;
  /** What versions before the stored identity derived: the URL's host with its port. */
  legacyServerId: string;
};

/** A Gerrit's identity from a host name (URL hostname or SSH host): lower case, no brackets or trailing dot. */
export function canonicalServerId(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}
export type SshConfig = z.infer<typeof sshSchema>;

/**
 * The API token docker-compose.yaml uses when REVIEWTRACE_API_TOKEN is not set: public, so `run`
 * (a real Gerrit) refuses it.
 */
export const DEMO_API_TOKEN = 'reviewtrace-demo-token-change-me';

/**
 * Keys whose values are secrets: a configuration error names the key and what is expected, never
 * the value (it would land in terminals and logs).
 */
const SECRET_KEY = /(token|password|passphrase|secret|credential|authorization|api_?key)/i;

export function isSecretPath(path: readonly PropertyKey[]): boolean {
  // Every value of tempo.headers may be a credential (an API key, a bearer token).
  return path.some((p) => SECRET_KEY.test(String(p))) || (path[0] === 'tempo' && path[1] === 'headers');
}

function shownValue(path: readonly PropertyKey[], value: unknown): string {
  if (!isSecretPath(path)) {
    return JSON.stringify(value);
  }
  return typeof value === 'string' ? `a ${value.length}-character secret, not shown` : 'a secret, not shown';
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const ENV_PREFIX = 'REVIEWTRACE_';

function snakeToCamel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Environment values: JSON when they parse as JSON (numbers, booleans, arrays), else strings. */
function envValue(raw: string): unknown {
  const t = raw.trim();
  if (/^(-?\d+(\.\d+)?|true|false|\[.*\]|\{.*\})$/s.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return raw;
    }
  }
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Variables with the prefix that are not configuration keys. */
const ENV_IGNORED = new Set(['REVIEWTRACE_CONFIG', 'REVIEWTRACE_CACHE']);

export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || ENV_IGNORED.has(name)) {
      continue;
    }
    const path = name.slice(ENV_PREFIX.length).split('__').map(snakeToCamel);
    // Keys whose names are free-form (headers) keep the environment's spelling.
    if (path[0] === 'tempo' && path[1] === 'headers' && path.length === 3) {
      path[2] = name.slice(ENV_PREFIX.length).split('__')[2].toLowerCase().replace(/_/g, '-');
    }
    setPath(out, path, envValue(raw));
  }
  return out;
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (
    typeof base !== 'object' ||
    base === null ||
    Array.isArray(base) ||
    typeof over !== 'object' ||
    over === null ||
    Array.isArray(over)
  ) {
    return over === undefined ? base : over;
  }
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    out[k] = deepMerge(out[k], v);
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  const envName =
    issue.path.length > 0
      ? `${ENV_PREFIX}${issue.path
          .map((p) =>
            String(p)
              .replace(/[A-Z]/g, (c) => `_${c}`)
              .toUpperCase(),
          )
          .join('__')}`
      : '';
  let got: unknown = input;
  for (const p of issue.path) {
    got =
      typeof got === 'object' && got !== null
        ? (got as Record<string | number, unknown>)[p as string | number]
        : undefined;
  }
  const shown =
    issue.code === 'unrecognized_keys' ? '' : ` (got ${got === undefined ? 'nothing' : shownValue(issue.path, got)})`;
  if (issue.code === 'unrecognized_keys') {
    return `${key}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; check the spelling against docs/configuration.md`;
  }
  return `${key}: ${issue.message}${shown}${envName ? ` [env ${envName}]` : ''}`;
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and environment (command-line flags). */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  let fromFile: unknown = {};
  const file = options.file ?? env.REVIEWTRACE_CONFIG;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError([`config file ${file}: cannot be read (${(err as Error).message})`]);
    }
    try {
      fromFile = parseYaml(text) ?? {};
    } catch (err) {
      // The parser's message goes on with the offending line, which may hold a secret: its first line
      // says where.
      throw new ConfigError([`config file ${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`]);
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile)) {
      throw new ConfigError([`config file ${file}: expected a YAML mapping at the top level`]);
    }
  }
  const merged = deepMerge(deepMerge(fromFile, envOverrides(env)), options.overrides ?? {});
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => describeIssue(i, merged)));
  }
  const c = parsed.data;
  const problems: string[] = [];
  for (const [i, pattern] of c.mapping.botAccounts.entries()) {
    try {
      new RegExp(pattern);
    } catch (err) {
      problems.push(
        `mapping.botAccounts.${i}: expected a JavaScript regular expression (got ${JSON.stringify(pattern)}: ${(err as Error).message})`,
      );
    }
  }
  const hk = c.gerrit.ssh?.hostKey;
  if (c.gerrit.ssh && hk && !hk.fingerprint && !hk.knownHostsFile && !hk.insecureAcceptAny) {
    problems.push(
      'gerrit.ssh.hostKey: expected fingerprint ("SHA256:…") or knownHostsFile, so the Gerrit host can be verified (insecureAcceptAny: true only for local experiments)',
    );
  }
  if (c.gerrit.http && (c.gerrit.http.username === undefined) !== (c.gerrit.http.password === undefined)) {
    problems.push(
      'gerrit.http: expected both username and password (an HTTP password from Gerrit settings), or neither',
    );
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const legacyServerId =
    c.gerrit.serverId ?? (c.gerrit.http ? new URL(c.gerrit.http.url).host : undefined) ?? c.gerrit.ssh?.host ?? 'demo';
  const derivedHost = c.gerrit.http ? new URL(c.gerrit.http.url).hostname : c.gerrit.ssh?.host;
  return {
    ...c,
    dataDir: resolve(c.dataDir),
    databasePath: resolve(c.databasePath ?? join(c.dataDir, 'reviewtrace.db')),
    serverId: c.gerrit.serverId ?? (derivedHost ? canonicalServerId(derivedHost) : 'demo'),
    serverIdConfigured: c.gerrit.serverId !== undefined,
    legacyServerId,
  };
}

/** Headers for every Tempo request: the configured ones plus the tenant. */
export function tempoHeaders(config: Config): Record<string, string> {
  return { ...config.tempo.headers, ...(config.tempo.tenant ? { 'X-Scope-OrgID': config.tempo.tenant } : {}) };
}
