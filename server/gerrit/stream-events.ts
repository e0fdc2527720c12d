// Parses one line of `gerrit stream-events` output into a normalized, typed event.
// Gerrit's JSON is loose across versions and plugins: numbers may arrive as strings and any
// field may be missing, so every field is read through a coercing accessor. This is hand-written
// rather than a schema library because it runs on every event of the stream (see bench:ingest):
// a schema validator costs several times JSON.parse itself, and no field is ever a reason to
// reject an event that still names its change.

/** Read-only: parsed accounts are shared between events (see internAccount). */
export interface Account {
  /** Stable identity used in span keys and attributes: username, else email, else name. */
  readonly key: string;
  readonly name?: string;
  readonly email?: string;
  readonly username?: string;
}

export interface ChangeRef {
  number: number;
  project: string;
  branch: string;
  changeId?: string;
  subject?: string;
  url?: string;
  owner?: Account;
  createdOnMs?: number;
  status?: string;
  topic?: string;
  hashtags?: string[];
  wip?: boolean;
  isPrivate?: boolean;
}

export interface PatchSetRef {
  number: number;
  revision?: string;
  uploader?: Account;
  createdOnMs?: number;
  kind?: string;
  insertions?: number;
  deletions?: number;
}

export interface Approval {
  label: string;
  value: number;
  oldValue?: number;
}

interface ChangeEventBase {
  change: ChangeRef;
  patchSet?: PatchSetRef;
  /** Event time in ms (Gerrit reports seconds). */
  timeMs: number;
}

export type ChangeEvent = ChangeEventBase &
  (
    | { type: 'patchset-created'; uploader?: Account }
    | { type: 'comment-added'; author?: Account; approvals: Approval[]; comment: string }
    | { type: 'change-merged'; submitter?: Account; newRev?: string }
    | { type: 'change-abandoned'; abandoner?: Account; reason?: string }
    | { type: 'change-restored'; restorer?: Account; reason?: string }
    | { type: 'change-deleted'; deleter?: Account }
    | { type: 'reviewer-added'; reviewer?: Account; adder?: Account }
    | { type: 'reviewer-deleted'; reviewer?: Account; remover?: Account; approvals: Approval[] }
    | { type: 'vote-deleted'; reviewer?: Account; remover?: Account; approvals: Approval[] }
    | { type: 'topic-changed'; changer?: Account; oldTopic?: string }
    | {
        type: 'hashtags-changed';
        editor?: Account;
        added: string[];
        removed: string[];
      }
    | { type: 'wip-state-changed'; changer?: Account }
    | { type: 'private-state-changed'; changer?: Account }
  );

export type ChangeEventType = ChangeEvent['type'];

/** Event types that carry no change; counted, never mapped to spans. */
export const CHANGELESS_EVENT_TYPES = new Set([
  'ref-updated',
  'project-created',
  'ref-replicated',
  'ref-replication-done',
  'ref-replication-scheduled',
  'project-head-updated',
]);

export const CHANGE_EVENT_TYPES: ReadonlySet<string> = new Set<ChangeEventType>([
  'patchset-created',
  'comment-added',
  'change-merged',
  'change-abandoned',
  'change-restored',
  'change-deleted',
  'reviewer-added',
  'reviewer-deleted',
  'vote-deleted',
  'topic-changed',
  'hashtags-changed',
  'wip-state-changed',
  'private-state-changed',
]);

export type ParseResult =
  | { kind: 'change'; event: ChangeEvent }
  /** A known event type without a change (ref-updated, project-created, ...). */
  | { kind: 'changeless'; type: string; timeMs?: number }
  /** Gerrit dropped events for this session: the consumer must reconcile. */
  | { kind: 'dropped-output' }
  /** An event type this sidecar does not know (plugins add their own). */
  | { kind: 'unknown-type'; type: string }
  /** Not JSON, not an object, or a change event without a usable change number. */
  | { kind: 'malformed'; reason: string };

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return undefined;
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Change and patch set numbers: whole and positive, or not usable. */
function positiveInteger(value: unknown): number | undefined {
  const n = asNumber(value);
  return n !== undefined && n > 0 && Number.isInteger(n) ? n : undefined;
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true') {
    return true;
  }
  if (value === 'false') {
    return false;
  }
  return undefined;
}

function asStringArray(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const out: string[] = [];
  for (const item of value) {
    const s = asString(item);
    if (s !== undefined) {
      out.push(s);
    }
  }
  return out;
}

/** Seconds (Gerrit's unit) to ms; values that already look like ms are kept. */
function secondsToMs(value: unknown): number | undefined {
  const n = asNumber(value);
  if (n === undefined || n <= 0) {
    return undefined;
  }
  return n > 1e11 ? Math.trunc(n) : Math.trunc(n * 1000);
}

export function accountKey(username?: string, email?: string, name?: string): string {
  return username || email || name || 'unknown';
}

/** Distinct accounts kept by internAccount(); far more people than a Gerrit site usually has. */
const ACCOUNT_CACHE_LIMIT = 10_000;
const accountCache = new Map<string, Account>();

/**
 * The same few hundred people appear in every event (owner, uploader, author, reviewers): one
 * Account object per identity is handed out again rather than a fresh copy per field, which was
 * about 4 % of the ingest path's garbage (bench:ingest). Accounts are never mutated, so sharing is
 * safe.
 */
function internAccount(name: string | undefined, email: string | undefined, username: string | undefined): Account {
  const key = accountKey(username, email, name);
  const cached = accountCache.get(key);
  if (cached !== undefined && cached.name === name && cached.email === email && cached.username === username) {
    return cached;
  }
  if (accountCache.size >= ACCOUNT_CACHE_LIMIT) {
    accountCache.clear();
  }
  const account: Account = { key, name, email, username };
  accountCache.set(key, account);
  return account;
}

export function parseAccount(value: unknown): Account | undefined {
  const o = asObject(value);
  if (!o) {
    return undefined;
  }
  const name = asString(o.name);
  const email = asString(o.email);
  const username = asString(o.username);
  if (!name && !email && !username) {
    return undefined;
  }
  return internAccount(name, email, username);
}

function parseChange(value: unknown): ChangeRef | undefined {
  const o = asObject(value);
  if (!o) {
    return undefined;
  }
  const number = positiveInteger(o.number);
  if (number === undefined) {
    return undefined;
  }
  return {
    number,
    project: asString(o.project) ?? 'unknown',
    branch: asString(o.branch) ?? 'unknown',
    changeId: asString(o.id),
    subject: asString(o.subject),
    url: asString(o.url),
    owner: parseAccount(o.owner),
    createdOnMs: secondsToMs(o.createdOn),
    status: asString(o.status),
    topic: asString(o.topic),
    hashtags: Array.isArray(o.hashtags) ? asStringArray(o.hashtags) : undefined,
    // Gerrit leaves both flags out when they are false (fixtures/stream-events.jsonl: the
    // wip-state-changed event of a change made ready has no `wip`).
    wip: asBoolean(o.wip) ?? false,
    isPrivate: asBoolean(o.private) ?? false,
  };
}

function parsePatchSet(value: unknown): PatchSetRef | undefined {
  const o = asObject(value);
  if (!o) {
    return undefined;
  }
  const number = positiveInteger(o.number);
  if (number === undefined) {
    return undefined;
  }
  return {
    number,
    revision: asString(o.revision),
    uploader: parseAccount(o.uploader),
    createdOnMs: secondsToMs(o.createdOn),
    kind: asString(o.kind),
    insertions: asNumber(o.sizeInsertions),
    // Gerrit reports deletions as a negative number.
    deletions: absoluteValue(asNumber(o.sizeDeletions)),
  };
}

function parseApprovals(value: unknown): Approval[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const out: Approval[] = [];
  for (const item of value) {
    const o = asObject(item);
    if (!o) {
      continue;
    }
    const label = asString(o.type) ?? asString(o.description);
    const v = asNumber(o.value);
    if (label === undefined || v === undefined) {
      continue;
    }
    const oldValue = asNumber(o.oldValue);
    out.push(oldValue === undefined ? { label, value: v } : { label, value: v, oldValue });
  }
  return out;
}

export function parseStreamEventLine(line: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  return parseStreamEvent(raw);
}

export function parseStreamEvent(raw: unknown): ParseResult {
  const o = asObject(raw);
  if (!o) {
    return { kind: 'malformed', reason: 'not a JSON object' };
  }
  const type = asString(o.type);
  if (!type) {
    return { kind: 'malformed', reason: 'no type' };
  }
  if (type === 'dropped-output') {
    return { kind: 'dropped-output' };
  }
  if (!CHANGE_EVENT_TYPES.has(type)) {
    if (CHANGELESS_EVENT_TYPES.has(type)) {
      return { kind: 'changeless', type, timeMs: secondsToMs(o.eventCreatedOn) };
    }
    return { kind: 'unknown-type', type };
  }
  const change = parseChange(o.change);
  if (!change) {
    return { kind: 'malformed', reason: `${type} without a change number` };
  }
  const patchSet = parsePatchSet(o.patchSet);
  const timeMs = secondsToMs(o.eventCreatedOn) ?? patchSet?.createdOnMs ?? change.createdOnMs;
  if (timeMs === undefined) {
    return { kind: 'malformed', reason: `${type} without eventCreatedOn` };
  }
  const base: ChangeEventBase = { change, patchSet, timeMs };
  const event = buildChangeEvent(type as ChangeEventType, o, base);
  return { kind: 'change', event };
}

function buildChangeEvent(type: ChangeEventType, o: Json, base: ChangeEventBase): ChangeEvent {
  switch (type) {
    case 'patchset-created':
      return { ...base, type, uploader: parseAccount(o.uploader) ?? base.patchSet?.uploader };
    case 'comment-added':
      return {
        ...base,
        type,
        author: parseAccount(o.author),
        approvals: parseApprovals(o.approvals),
        comment: asString(o.comment) ?? '',
      };
    case 'change-merged':
      return { ...base, type, submitter: parseAccount(o.submitter), newRev: asString(o.newRev) };
    case 'change-abandoned':
      return { ...base, type, abandoner: parseAccount(o.abandoner), reason: asString(o.reason) };
    case 'change-restored':
      return { ...base, type, restorer: parseAccount(o.restorer), reason: asString(o.reason) };
    case 'change-deleted':
      return { ...base, type, deleter: parseAccount(o.deleter) };
    case 'reviewer-added':
      return { ...base, type, reviewer: parseAccount(o.reviewer), adder: parseAccount(o.adder) };
    case 'reviewer-deleted':
      return {
        ...base,
        type,
        reviewer: parseAccount(o.reviewer),
        remover: parseAccount(o.remover),
        approvals: parseApprovals(o.approvals),
      };
    case 'vote-deleted':
      return {
        ...base,
        type,
        reviewer: parseAccount(o.reviewer),
        remover: parseAccount(o.remover),
        approvals: parseApprovals(o.approvals),
      };
    case 'topic-changed':
      return { ...base, type, changer: parseAccount(o.changer), oldTopic: asString(o.oldTopic) };
    case 'hashtags-changed':
      return {
        ...base,
        type,
        editor: parseAccount(o.editor),
        added: asStringArray(o.added),
        removed: asStringArray(o.removed),
      };
    case 'wip-state-changed':
      return { ...base, type, changer: parseAccount(o.changer) };
    case 'private-state-changed':
      return { ...base, type, changer: parseAccount(o.changer) };
  }
}

function absoluteValue(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.abs(n);
}
