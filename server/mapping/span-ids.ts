import { hash } from 'node:crypto';

// Deterministic ids (SPEC "Span contract"): a replay, a backfill and the live stream of the same
// change produce byte-identical trace and span ids, which is what makes the exported-span ledger
// and Tempo's keep-the-first-copy behaviour add up to exactly-once. crypto.hash is the one-shot
// form: several times cheaper than createHash for inputs this small (see bench:ingest).

/** The string a change's trace id is hashed from; span ids are hashed from it plus a span key. */
export function traceKey(serverId: string, changeNumber: number): string {
  return `gerrit\0${serverId}\0${changeNumber}`;
}

/** 32 hex chars: first 16 bytes of sha256("gerrit\0" + serverId + "\0" + changeNumber). */
export function traceIdFor(serverId: string, changeNumber: number): string {
  return sha256HexPrefix(traceKey(serverId, changeNumber), TRACE_ID_CODES);
}

/** 16 hex chars: first 8 bytes of sha256(traceKey + "\0" + spanKey). */
export function spanIdFor(key: string, spanKey: string): string {
  return sha256HexPrefix(`${key}\0${spanKey}`, SPAN_ID_CODES);
}

/** 16 hex chars: the first 8 bytes of sha256(input), for keys that are not span ids (fact keys). */
export function sha256Hex16(input: string): string {
  return sha256HexPrefix(input, SPAN_ID_CODES);
}

const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const TRACE_ID_CODES = new Array<number>(32).fill(0);
const SPAN_ID_CODES = new Array<number>(16).fill(0);

/**
 * The digest's first codes.length / 2 bytes as lowercase hex, built as a flat string: a slice() of
 * the hex digest would keep the whole 64-char digest alive with every id that lives on (the
 * cached ids of open changes, spans waiting to be encoded).
 */
function sha256HexPrefix(input: string, codes: number[]): string {
  const digest = hash('sha256', input, 'binary'); // one char per byte (latin1)
  for (let i = 0, j = 0; j < codes.length; i += 1) {
    const byte = digest.charCodeAt(i);
    codes[j++] = HEX_CODES[byte >> 4];
    codes[j++] = HEX_CODES[byte & 15];
  }
  return String.fromCharCode(...codes);
}
