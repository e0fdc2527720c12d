// A set of span ids packed for the ledger's compacted rows (closed_traces.span_ids): each id's
// 8 bytes, sorted, back to back. Exact, unlike a filter that can answer "maybe": the ledger must
// say "exported" for every span that was, and for no other, or a restored change would lose spans.
// 8 bytes a span instead of a row of two hex ids and a time (about 63 bytes in SQLite, measured).

/** Bytes of one span id (16 hex characters, SPEC "Span contract"). */
const ID_BYTES = 8;
const HEX_ID = /^[0-9a-f]{16}$/;

/** Whether a string is a span id as this sidecar makes them (lowercase hex, 16 characters). */
export function isSpanId(id: string): boolean {
  return HEX_ID.test(id);
}

/** Packs span ids (lowercase hex, 16 characters) into sorted, distinct 8-byte entries. */
export function packSpanIds(spanIds: Iterable<string>): Buffer {
  const distinct = [...new Set(spanIds)].sort();
  const packed = Buffer.alloc(distinct.length * ID_BYTES);
  distinct.forEach((id, i) => {
    if (!isSpanId(id)) {
      throw new Error(`not a span id: ${JSON.stringify(id)}`);
    }
    packed.write(id, i * ID_BYTES, ID_BYTES, 'hex');
  });
  return packed;
}

/** How many span ids a packed set holds. */
export function packedSpanIdCount(packed: Uint8Array): number {
  return packed.length / ID_BYTES;
}

/** The span ids of a packed set, in order. */
export function unpackSpanIds(packed: Uint8Array): string[] {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const ids: string[] = [];
  for (let at = 0; at < bytes.length; at += ID_BYTES) {
    ids.push(bytes.toString('hex', at, at + ID_BYTES));
  }
  return ids;
}

/** Whether a packed set holds the span id: a binary search (hex order is byte order). */
export function packedHas(packed: Uint8Array, spanId: string): boolean {
  if (!isSpanId(spanId)) {
    return false;
  }
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const wanted = Buffer.from(spanId, 'hex');
  let low = 0;
  let high = packedSpanIdCount(packed) - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const order = bytes.compare(wanted, 0, ID_BYTES, middle * ID_BYTES, (middle + 1) * ID_BYTES);
    if (order === 0) {
      return true;
    }
    if (order < 0) {
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return false;
}
