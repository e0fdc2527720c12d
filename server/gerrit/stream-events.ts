// Parses one line of `gerrit stream-events` output into a normalized, typed event.
// Gerrit's JSON is loose across versions and plugins: numbers may arrive as strings ("2") and any
// optional field may be missing (or null), and both are accepted. A field of the wrong type
// ("approvals": "oops", a number where a string belongs, a time no clock can show) is not
// coerced: the event is malformed, named by its reason and field, counted and skipped, and its
// change (when its number is readable) rebuilt from REST. Only the fields the mapper uses are
// checked; others are ignored. This is hand-written rather than a schema library because it runs on
// every event of the stream (see bench:ingest): a schema validator costs several times JSON.parse
// itself.

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

/**
 * Why a line was skipped: the `reason` label of reviewtrace_gerrit_bad_lines_total. A small fixed
 * set, so the label's cardinality stays bounded whatever the input.
 */
export type MalformedReason = 'invalid_json' | 'not_object' | 'missing_field' | 'wrong_type';

export interface Malformed {
  kind: 'malformed';
  reason: MalformedReason;
  /** The field at fault, as a path from the event ("change.number", "approvals[].value"). */
  field?: string;
  /** For the log: what was wrong, briefly. */
  detail: string;
  /** The change the line names, when readable: it must be rebuilt, since its event is lost. */
  changeNumber?: number;
}

export type ParseResult =
  | { kind: 'change'; event: ChangeEvent }
  /** A known event type without a change (ref-updated, project-created, ...). */
  | { kind: 'changeless'; type: string; timeMs?: number }
  /** Gerrit dropped events for this session: the consumer must reconcile. */
  | { kind: 'dropped-output' }
  /** An event type this sidecar does not know (plugins add their own); cut to UNKNOWN_TYPE_MAX_CHARS. */
  | { kind: 'unknown-type'; type: string }
  | Malformed;

/** Longest unknown event type kept for counting and logging (a hostile "type" can be megabytes). */
export const UNKNOWN_TYPE_MAX_CHARS = 100;

/** One log key per kind of malformation: distinct kinds never hide one another behind a rate limit. */
export function malformedLogKey(result: Malformed): string {
  return result.field === undefined ? `malformed:${result.reason}` : `malformed:${result.reason}:${result.field}`;
}

type Json = Record<string, unknown>;

/** Thrown by the field readers below; caught in parseStreamEvent, never escapes it. */
class ShapeError extends Error {
  readonly reason: 'missing_field' | 'wrong_type';
  readonly field: string;

  constructor(reason: 'missing_field' | 'wrong_type', field: string, expected: string) {
    super(reason === 'missing_field' ? `${field} is missing` : `${field} is not ${expected}`);
    this.reason = reason;
    this.field = field;
  }
}

function fieldPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/** Gerrit omits absent fields; a null is taken as absent too, never as a value. */
function absent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

function readObject(o: Json, key: string, parent: string): Json | undefined {
  const value = o[key];
  if (absent(value)) {
    return undefined;
  }
  const object = asObject(value);
  if (!object) {
    throw new ShapeError('wrong_type', fieldPath(parent, key), 'an object');
  }
  return object;
}

function readString(o: Json, key: string, parent: string): string | undefined {
  const value = o[key];
  if (absent(value)) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new ShapeError('wrong_type', fieldPath(parent, key), 'a string');
  }
  return value;
}

/** A finite number, or a string holding one (Gerrit sends approval values as "2"). */
function numberValue(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : undefined;
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function readNumber(o: Json, key: string, parent: string): number | undefined {
  const value = o[key];
  if (absent(value)) {
    return undefined;
  }
  const n = numberValue(value);
  if (n === undefined) {
    throw new ShapeError('wrong_type', fieldPath(parent, key), 'a finite number');
  }
  return n;
}

/** Change and patch set numbers: whole, positive and exact in a double. */
function readPositiveInteger(o: Json, key: string, parent: string): number | undefined {
  const n = readNumber(o, key, parent);
  if (n !== undefined && !(n > 0 && Number.isSafeInteger(n))) {
    throw new ShapeError('wrong_type', fieldPath(parent, key), 'a positive whole number');
  }
  return n;
}

function readBoolean(o: Json, key: string, parent: string): boolean | undefined {
  const value = o[key];
  if (absent(value)) {
    return undefined;
  }
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  throw new ShapeError('wrong_type', fieldPath(parent, key), 'a boolean');
}

function readStringArray(o: Json, key: string, parent: string): string[] | undefined {
  const value = o[key];
  if (absent(value)) {
    return undefined;
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ShapeError('wrong_type', fieldPath(parent, key), 'an array of strings');
  }
  return value as string[];
}

/** Latest time accepted: the end of year 9999 (JavaScript dates reach further, Tempo does not). */
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Seconds (Gerrit's unit) to ms; values that already look like ms are kept. */
function readTimeMs(o: Json, key: string, parent: string): number | undefined {
  const n = readNumber(o, key, parent);
  if (n === undefined) {
    return undefined;
  }
  const ms = n > 1e11 ? Math.trunc(n) : Math.trunc(n * 1000);
  if (!(ms > 0 && ms <= MAX_TIME_MS)) {
    throw new ShapeError('wrong_type', fieldPath(parent, key), 'a time (seconds since 1970, before year 10000)');
  }
  return ms;
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

/** An account field; one without name, email and username (a deleted account) is no account. */
function readAccount(o: Json, key: string, parent = ''): Account | undefined {
  const account = readObject(o, key, parent);
  if (!account) {
    return undefined;
  }
  const path = fieldPath(parent, key);
  const name = readString(account, 'name', path);
  const email = readString(account, 'email', path);
  const username = readString(account, 'username', path);
  if (!name && !email && !username) {
    return undefined;
  }
  return internAccount(name, email, username);
}

function readChange(o: Json): ChangeRef {
  const c = readObject(o, 'change', '');
  if (!c) {
    throw new ShapeError('missing_field', 'change', 'an object');
  }
  const number = readPositiveInteger(c, 'number', 'change');
  if (number === undefined) {
    throw new ShapeError('missing_field', 'change.number', 'a number');
  }
  return {
    number,
    project: readString(c, 'project', 'change') ?? 'unknown',
    branch: readString(c, 'branch', 'change') ?? 'unknown',
    changeId: readString(c, 'id', 'change'),
    subject: readString(c, 'subject', 'change'),
    url: readString(c, 'url', 'change'),
    owner: readAccount(c, 'owner', 'change'),
    createdOnMs: readTimeMs(c, 'createdOn', 'change'),
    status: readString(c, 'status', 'change'),
    topic: readString(c, 'topic', 'change'),
    hashtags: readStringArray(c, 'hashtags', 'change'),
    // Gerrit leaves both flags out when they are false (fixtures/stream-events.jsonl: the
    // wip-state-changed event of a change made ready has no `wip`).
    wip: readBoolean(c, 'wip', 'change') ?? false,
    isPrivate: readBoolean(c, 'private', 'change') ?? false,
  };
}

function readPatchSet(o: Json): PatchSetRef | undefined {
  const p = readObject(o, 'patchSet', '');
  if (!p) {
    return undefined;
  }
  const number = readPositiveInteger(p, 'number', 'patchSet');
  if (number === undefined) {
    throw new ShapeError('missing_field', 'patchSet.number', 'a number');
  }
  return {
    number,
    revision: readString(p, 'revision', 'patchSet'),
    uploader: readAccount(p, 'uploader', 'patchSet'),
    createdOnMs: readTimeMs(p, 'createdOn', 'patchSet'),
    kind: readString(p, 'kind', 'patchSet'),
    insertions: readNumber(p, 'sizeInsertions', 'patchSet'),
    // Gerrit reports deletions as a negative number.
    deletions: absoluteValue(readNumber(p, 'sizeDeletions', 'patchSet')),
  };
}

/** Gerrit names a label by `type` (older versions by `description` only) and always gives its value. */
function readApprovals(o: Json): Approval[] {
  const value = o.approvals;
  if (absent(value)) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new ShapeError('wrong_type', 'approvals', 'an array');
  }
  const out: Approval[] = [];
  for (const item of value) {
    const a = asObject(item);
    if (!a) {
      throw new ShapeError('wrong_type', 'approvals[]', 'an object');
    }
    const label = readString(a, 'type', 'approvals[]') ?? readString(a, 'description', 'approvals[]');
    if (label === undefined) {
      throw new ShapeError('missing_field', 'approvals[].type', 'a string');
    }
    const v = readNumber(a, 'value', 'approvals[]');
    if (v === undefined) {
      throw new ShapeError('missing_field', 'approvals[].value', 'a number');
    }
    const oldValue = readNumber(a, 'oldValue', 'approvals[]');
    out.push(oldValue === undefined ? { label, value: v } : { label, value: v, oldValue });
  }
  return out;
}

export function parseStreamEventLine(line: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (err) {
    return { kind: 'malformed', reason: 'invalid_json', detail: (err as Error).message.slice(0, 200) };
  }
  return parseStreamEvent(raw);
}

export function parseStreamEvent(raw: unknown): ParseResult {
  const o = asObject(raw);
  if (!o) {
    return { kind: 'malformed', reason: 'not_object', detail: 'the line is JSON but not an object' };
  }
  try {
    return parseEventObject(o);
  } catch (err) {
    if (!(err instanceof ShapeError)) {
      throw err;
    }
    const malformed: Malformed = { kind: 'malformed', reason: err.reason, field: err.field, detail: err.message };
    const changeNumber = readableChangeNumber(o);
    return changeNumber === undefined ? malformed : { ...malformed, changeNumber };
  }
}

function parseEventObject(o: Json): ParseResult {
  const type = readString(o, 'type', '');
  if (!type) {
    throw new ShapeError('missing_field', 'type', 'a string');
  }
  if (type === 'dropped-output') {
    return { kind: 'dropped-output' };
  }
  if (!CHANGE_EVENT_TYPES.has(type)) {
    if (CHANGELESS_EVENT_TYPES.has(type)) {
      return { kind: 'changeless', type, timeMs: readTimeMs(o, 'eventCreatedOn', '') };
    }
    return { kind: 'unknown-type', type: type.slice(0, UNKNOWN_TYPE_MAX_CHARS) };
  }
  const change = readChange(o);
  const patchSet = readPatchSet(o);
  const timeMs = readTimeMs(o, 'eventCreatedOn', '') ?? patchSet?.createdOnMs ?? change.createdOnMs;
  if (timeMs === undefined) {
    throw new ShapeError('missing_field', 'eventCreatedOn', 'a time');
  }
  const base: ChangeEventBase = { change, patchSet, timeMs };
  return { kind: 'change', event: buildChangeEvent(type as ChangeEventType, o, base) };
}

/** The change number of a malformed event, if it can be read at all. */
function readableChangeNumber(o: Json): number | undefined {
  const n = numberValue(asObject(o.change)?.number);
  return n !== undefined && n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

function buildChangeEvent(type: ChangeEventType, o: Json, base: ChangeEventBase): ChangeEvent {
  switch (type) {
    case 'patchset-created':
      return { ...base, type, uploader: readAccount(o, 'uploader') ?? base.patchSet?.uploader };
    case 'comment-added':
      return {
        ...base,
        type,
        author: readAccount(o, 'author'),
        approvals: readApprovals(o),
        comment: readString(o, 'comment', '') ?? '',
      };
    case 'change-merged':
      return { ...base, type, submitter: readAccount(o, 'submitter'), newRev: readString(o, 'newRev', '') };
    case 'change-abandoned':
      return { ...base, type, abandoner: readAccount(o, 'abandoner'), reason: readString(o, 'reason', '') };
    case 'change-restored':
      return { ...base, type, restorer: readAccount(o, 'restorer'), reason: readString(o, 'reason', '') };
    case 'change-deleted':
      return { ...base, type, deleter: readAccount(o, 'deleter') };
    case 'reviewer-added':
      return { ...base, type, reviewer: readAccount(o, 'reviewer'), adder: readAccount(o, 'adder') };
    case 'reviewer-deleted':
      return {
        ...base,
        type,
        reviewer: readAccount(o, 'reviewer'),
        remover: readAccount(o, 'remover'),
        approvals: readApprovals(o),
      };
    case 'vote-deleted':
      return {
        ...base,
        type,
        reviewer: readAccount(o, 'reviewer'),
        remover: readAccount(o, 'remover'),
        approvals: readApprovals(o),
      };
    case 'topic-changed':
      return { ...base, type, changer: readAccount(o, 'changer'), oldTopic: readString(o, 'oldTopic', '') };
    case 'hashtags-changed':
      return {
        ...base,
        type,
        editor: readAccount(o, 'editor'),
        added: readStringArray(o, 'added', '') ?? [],
        removed: readStringArray(o, 'removed', '') ?? [],
      };
    case 'wip-state-changed':
      return { ...base, type, changer: readAccount(o, 'changer') };
    case 'private-state-changed':
      return { ...base, type, changer: readAccount(o, 'changer') };
  }
}

function absoluteValue(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.abs(n);
}
