import type { AttributeValue, SpanRecord, SpanStatus } from '../mapping/span-record.ts';

// Writes an OTLP ExportTraceServiceRequest (protobuf) straight from span records. OpenTelemetry's
// ProtobufTraceSerializer produces the same bytes (the test compares them) but wants ReadableSpan
// objects, converts hex ids in JavaScript and re-encodes every attribute key of every span; here
// ids go through Buffer's native hex decoder and each distinct attribute key is encoded once and
// copied afterwards. bench:ingest measures the difference. Field numbers: opentelemetry-proto
// trace/v1/trace.proto and common/v1/common.proto.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const STATUS_CODE: Record<SpanStatus, number> = { unset: 0, ok: 1, error: 2 };
/** OTLP SpanKind INTERNAL. */
const KIND_INTERNAL = 1;
/** Sampled, and "is-remote is known (false)", as OpenTelemetry's SDK sets for local spans. */
const SPAN_FLAGS = 0x01 | 0x100;
/** Hex digit (either case) → its value, by char code. */
const HEX_VALUE = new Uint8Array(128);
for (let i = 0; i < 16; i += 1) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

export interface ResourceDescription {
  attributes: Record<string, string>;
  scopeName: string;
  scopeVersion: string;
}

export class OtlpProtobufWriter {
  private buf = Buffer.allocUnsafe(256 * 1024);
  private pos = 0;
  /** Encoded `key` field (tag, length, UTF-8 bytes) of KeyValue, per attribute key. */
  private readonly keyCache = new Map<string, Buffer>();
  private readonly lastTraceId = new LastId(16);
  private readonly lastParentId = new LastId(8);
  private readonly nanosCache = { ms: new Float64Array([NaN, NaN]), lo: new Uint32Array(2), hi: new Uint32Array(2) };
  /** Resource and scope messages, identical in every request. */
  private readonly header: Buffer;

  constructor(resource: ResourceDescription) {
    let at = this.begin(1);
    for (const [k, v] of Object.entries(resource.attributes)) {
      this.keyValue(1, k, v);
    }
    this.tag(2, WIRE_VARINT); // dropped_attributes_count
    this.varint(0);
    this.finish(at);
    const resourceMsg = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    at = this.begin(1);
    this.tag(1, WIRE_LEN);
    this.string(resource.scopeName);
    this.tag(2, WIRE_LEN);
    this.string(resource.scopeVersion);
    this.finish(at);
    const scopeMsg = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    this.header = Buffer.concat([resourceMsg, scopeMsg]);
  }

  /** The request's bytes: a view of the writer's buffer, overwritten by the next encode(). */
  encode(spans: SpanRecord[]): Uint8Array {
    this.pos = 0;
    const resourceLen = this.header.length - this.scopeLength();
    const resourceSpans = this.begin(1);
    this.raw(this.header.subarray(0, resourceLen));
    const scopeSpans = this.begin(2);
    this.raw(this.header.subarray(resourceLen));
    for (const span of spans) {
      // Span messages are mostly 128 bytes to 16 KiB long: room for a two-byte length up front.
      const at = this.begin(2, 2);
      this.span(span);
      this.finish(at, 2);
    }
    this.finish(scopeSpans);
    this.finish(resourceSpans);
    return this.buf.subarray(0, this.pos);
  }

  private scopeLengthCache = -1;
  private scopeLength(): number {
    if (this.scopeLengthCache < 0) {
      // The header is resource message then scope message, each tag(1) + length + body.
      let p = 1;
      let len = 0;
      let shift = 0;
      for (;;) {
        const b = this.header[p++];
        len |= (b & 0x7f) << shift;
        if (b < 0x80) {
          break;
        }
        shift += 7;
      }
      this.scopeLengthCache = this.header.length - (p + len);
    }
    return this.scopeLengthCache;
  }

  // Tags of the fixed fields are written as constant bytes (field << 3 | wire type), and room for
  // each run of fixed-size fields is ensured once: a call per tag showed in bench:ingest's profile.
  private span(s: SpanRecord): void {
    this.ensure(2 + 16 + 2 + 8 + 2 + 8 + 1);
    this.buf[this.pos++] = 0x0a; // 1 trace_id
    this.idBytes(s.traceId, this.lastTraceId);
    this.buf[this.pos++] = 0x12; // 2 span_id
    this.hexBytes(s.spanId, 8);
    if (s.parentSpanId) {
      this.buf[this.pos++] = 0x22; // 4 parent_span_id
      this.idBytes(s.parentSpanId, this.lastParentId);
    }
    this.buf[this.pos++] = 0x2a; // 5 name
    this.string(s.name);
    this.ensure(2 + 9 + 9);
    this.buf[this.pos++] = 0x30; // 6 kind
    this.buf[this.pos++] = KIND_INTERNAL;
    this.buf[this.pos++] = 0x39; // 7 start_time_unix_nano (fixed64)
    this.fixed64Nanos(s.startMs, 0);
    this.buf[this.pos++] = 0x41; // 8 end_time_unix_nano (fixed64)
    this.fixed64Nanos(s.endMs, 1);
    for (const key in s.attributes) {
      const value = s.attributes[key];
      if (value !== undefined) {
        this.keyValue(9, key, value);
      }
    }
    this.ensure(6 + 4 + 6);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x50; // 10 dropped_attributes_count = 0
    buf[p++] = 0;
    buf[p++] = 0x60; // 12 dropped_events_count = 0
    buf[p++] = 0;
    buf[p++] = 0x70; // 14 dropped_links_count = 0
    buf[p++] = 0;
    buf[p++] = 0x7a; // 15 status, 2 bytes: 3 code
    buf[p++] = 2;
    buf[p++] = 0x18;
    buf[p++] = STATUS_CODE[s.status];
    buf[p++] = 0x85; // 16 flags (fixed32), a two-byte tag
    buf[p++] = 0x01;
    buf[p++] = SPAN_FLAGS & 0xff;
    buf[p++] = (SPAN_FLAGS >>> 8) & 0xff;
    buf[p++] = (SPAN_FLAGS >>> 16) & 0xff;
    buf[p++] = SPAN_FLAGS >>> 24;
    this.pos = p;
  }

  private keyValue(field: number, key: string, value: AttributeValue): void {
    let encodedKey = this.keyCache.get(key);
    if (!encodedKey) {
      const bytes = Buffer.from(key, 'utf8');
      encodedKey = Buffer.concat([Buffer.from([(1 << 3) | WIRE_LEN]), varintBytes(bytes.length), bytes]);
      this.keyCache.set(key, encodedKey);
    }
    if (this.smallKeyValue(field, encodedKey, value)) {
      return;
    }
    const kv = this.begin(field);
    this.raw(encodedKey);
    const any = this.begin(2);
    this.anyValue(value);
    this.finish(any);
    this.finish(kv);
  }

  /**
   * Most attributes are a short ASCII string, a small whole number or a boolean: every length is
   * then one byte known up front, so the KeyValue is written in one pass, without reserving
   * lengths and patching them afterwards (a third of the writer's time in bench:ingest). Returns
   * false, leaving `pos` where it was, for any other value.
   */
  private smallKeyValue(field: number, encodedKey: Buffer, value: AttributeValue): boolean {
    let valueLen: number; // AnyValue's body: the value's tag and bytes
    if (typeof value === 'string') {
      valueLen = 2 + value.length;
    } else if (typeof value === 'number') {
      if (!(value >= 0 && value < 0x10000000 && Number.isInteger(value))) {
        return false;
      }
      valueLen = 1 + (value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : 4);
    } else if (typeof value === 'boolean') {
      valueLen = 2;
    } else {
      return false;
    }
    const keyLen = encodedKey.length;
    const kvLen = keyLen + 2 + valueLen;
    if (kvLen >= 0x80 || field >= 16) {
      return false;
    }
    this.ensure(2 + kvLen);
    const buf = this.buf;
    let p = this.pos + 2 + keyLen + 2;
    if (typeof value === 'string') {
      buf[p++] = 0x0a; // 1 string_value
      buf[p++] = value.length;
      for (let i = 0; i < value.length; i += 1) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          return false; // UTF-8 needs more bytes than chars: the general path measures it
        }
        buf[p++] = c;
      }
    } else if (typeof value === 'number') {
      buf[p++] = 0x18; // 3 int_value
      let v = value;
      while (v >= 0x80) {
        buf[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[p++] = v;
    } else {
      buf[p++] = 0x10; // 2 bool_value
      buf[p++] = value ? 1 : 0;
    }
    let h = this.pos;
    buf[h++] = (field << 3) | WIRE_LEN;
    buf[h++] = kvLen;
    for (let i = 0; i < keyLen; i += 1) {
      buf[h++] = encodedKey[i];
    }
    buf[h++] = 0x12; // 2 value (AnyValue)
    buf[h] = valueLen;
    this.pos = p;
    return true;
  }

  private anyValue(value: AttributeValue): void {
    if (typeof value === 'string') {
      this.ensure(1);
      this.buf[this.pos++] = 0x0a; // 1 string_value
      this.string(value);
    } else if (typeof value === 'boolean') {
      this.tag(2, WIRE_VARINT);
      this.varint(value ? 1 : 0);
    } else if (typeof value === 'number') {
      if (Number.isSafeInteger(value)) {
        this.ensure(1);
        this.buf[this.pos++] = 0x18; // 3 int_value
        this.varint(value);
      } else {
        this.tag(4, WIRE_FIXED64);
        this.ensure(8);
        this.buf.writeDoubleLE(value, this.pos);
        this.pos += 8;
      }
    } else {
      const array = this.begin(5);
      for (const item of value) {
        const at = this.begin(1);
        this.anyValue(item);
        this.finish(at);
      }
      this.finish(array);
    }
  }

  /** Writes the tag and `room` bytes for the length; returns where the length goes. */
  private begin(field: number, room = 1): number {
    this.ensure(2 + room);
    if (field < 16) {
      this.buf[this.pos++] = (field << 3) | WIRE_LEN;
    } else {
      this.tag(field, WIRE_LEN);
    }
    const lenPos = this.pos;
    this.pos += room;
    return lenPos;
  }

  /**
   * Writes the length of what followed begin() as a minimal varint (as OpenTelemetry's serializer
   * does), moving the body when the varint needs other than the `room` reserved.
   */
  private finish(lenPos: number, room = 1): void {
    const bodyStart = lenPos + room;
    const len = this.pos - bodyStart;
    const size = len < 0x80 ? 1 : len < 0x4000 ? 2 : len < 0x200000 ? 3 : len < 0x10000000 ? 4 : 5;
    if (size !== room) {
      this.ensure(size - room);
      this.buf.copyWithin(lenPos + size, bodyStart, this.pos);
      this.pos += size - room;
    }
    let v = len;
    let p = lenPos;
    while (v >= 0x80) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p] = v;
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  private varint(value: number): void {
    this.ensure(10);
    if (value < 0) {
      this.negativeVarint(value);
      return;
    }
    let v = value;
    while (v >= 0x80000000) {
      // Beyond 31 bits bit operators would wrap: divide.
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  /**
   * A negative int64 (a -1 vote, say) as ten varint bytes of its two's complement, from two 32-bit
   * halves: a BigInt per value showed in bench:ingest's allocation profile.
   */
  private negativeVarint(value: number): void {
    let lo = value >>> 0;
    let hi = Math.floor(value / 0x100000000) >>> 0;
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < 4; i += 1) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[p++] = lo | ((hi & 0x07) << 4) | 0x80; // lo's last 4 bits, hi's first 3
    hi >>>= 3;
    for (let i = 0; i < 4; i += 1) {
      buf[p++] = (hi & 0x7f) | 0x80;
      hi >>>= 7;
    }
    buf[p++] = hi;
    this.pos = p;
  }

  private string(s: string): void {
    const n = s.length;
    if (n < 0x80) {
      // Short ASCII strings (most values) are copied in JavaScript: cheaper than two native calls.
      this.ensure(n + 1);
      const start = this.pos;
      let p = start + 1;
      let ascii = true;
      for (let i = 0; i < n; i += 1) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        this.buf[p++] = c;
      }
      if (ascii) {
        this.buf[start] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }

  /**
   * Spans come in runs of one change, mostly under one parent: an id equal to the last one written
   * in its field is copied from the bytes kept for it, not decoded again.
   */
  private idBytes(hex: string, last: LastId): void {
    const bytes = last.bytes;
    const n = bytes.length;
    if (hex !== last.hex) {
      this.hexBytes(hex, n);
      for (let i = 0, p = this.pos - n; i < n; i += 1) {
        bytes[i] = this.buf[p++];
      }
      last.hex = hex;
      return;
    }
    this.ensure(1 + n);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = n;
    for (let i = 0; i < n; i += 1) {
      buf[p++] = bytes[i];
    }
    this.pos = p;
  }

  /** Ids are short: decoding the hex in JavaScript beats a native call per id. */
  private hexBytes(hex: string, length: number): void {
    this.ensure(1 + length);
    this.buf[this.pos++] = length; // ids are 8 or 16 bytes: a one-byte length
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < length; i += 1) {
      buf[p++] = (HEX_VALUE[hex.charCodeAt(2 * i)] << 4) | HEX_VALUE[hex.charCodeAt(2 * i + 1)];
    }
    this.pos = p;
  }

  /**
   * ms * 1e6 as a little-endian uint64, in exact double arithmetic (every step stays below 2^53).
   * `slot` (0 start, 1 end) keeps the last time of its field: a change's spans come in runs that
   * share their times, so the arithmetic is skipped for most of them.
   */
  private fixed64Nanos(ms: number, slot: 0 | 1): void {
    this.ensure(8);
    const cache = this.nanosCache;
    let lo: number;
    let hi: number;
    if (cache.ms[slot] === ms) {
      lo = cache.lo[slot];
      hi = cache.hi[slot];
    } else {
      const high = Math.floor(ms / 0x10000) * 1e6; // < 2^46
      const low = (ms % 0x10000) * 1e6; // < 2^36
      const mixed = (high % 0x10000) * 0x10000 + low; // < 2^37
      lo = mixed % 0x100000000;
      hi = (Math.floor(high / 0x10000) + Math.floor(mixed / 0x100000000)) >>> 0;
      cache.ms[slot] = ms;
      cache.lo[slot] = lo;
      cache.hi[slot] = hi;
    }
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = lo & 0xff;
    buf[p++] = (lo >>> 8) & 0xff;
    buf[p++] = (lo >>> 16) & 0xff;
    buf[p++] = lo >>> 24;
    buf[p++] = hi & 0xff;
    buf[p++] = (hi >>> 8) & 0xff;
    buf[p++] = (hi >>> 16) & 0xff;
    buf[p++] = hi >>> 24;
    this.pos = p;
  }

  private raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) {
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** An id field's last value, as hex and as bytes (see OtlpProtobufWriter.idBytes). */
class LastId {
  hex = '';
  readonly bytes: Uint8Array;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
  }
}

function varintBytes(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}
