// Splits the bytes of `gerrit stream-events` into lines, holding at most `maxLineBytes` of an
// unfinished line. Each arriving chunk is scanned once for newlines (never the held bytes again),
// so a stream without newlines costs linear time and bounded memory. Splitting on the byte 0x0A
// is safe before decoding: in UTF-8 it never occurs inside a multi-byte character.

const NEWLINE = 0x0a;

export interface LineSink {
  onLine(line: string): void;
  /**
   * A line passed maxLineBytes: what arrived of it is dropped, and so is the rest up to the next
   * newline. Called once per such line, as soon as the bound is passed (a stream that never sends
   * another newline is reported too).
   */
  onOverlong(bytesSeen: number): void;
}

export class LineSplitter {
  private readonly maxLineBytes: number;
  private readonly sink: LineSink;
  /** The start of an unfinished line: copies, so a held part never pins a whole chunk. */
  private held: Buffer[] = [];
  private heldLength = 0;
  /** True from the moment a line passed the bound until its newline. */
  private discarding = false;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.maxLineBytes = maxLineBytes;
    this.sink = sink;
  }

  /** Bytes of the unfinished line held now (at most maxLineBytes). */
  get heldBytes(): number {
    return this.heldLength;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) {
        this.hold(chunk, start, chunk.length);
        return;
      }
      this.finishLine(chunk, start, newline);
      start = newline + 1;
    }
  }

  private hold(chunk: Buffer, start: number, end: number): void {
    if (this.discarding) {
      return;
    }
    const length = end - start;
    if (this.heldLength + length > this.maxLineBytes) {
      this.startDiscarding(this.heldLength + length);
      return;
    }
    this.held.push(Buffer.from(chunk.subarray(start, end)));
    this.heldLength += length;
  }

  private finishLine(chunk: Buffer, start: number, newline: number): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    const length = newline - start;
    if (this.heldLength + length > this.maxLineBytes) {
      this.startDiscarding(this.heldLength + length);
      this.discarding = false;
      return;
    }
    let line: string;
    if (this.heldLength === 0) {
      line = chunk.toString('utf8', start, newline);
    } else {
      this.held.push(chunk.subarray(start, newline));
      line = Buffer.concat(this.held).toString('utf8');
      this.held = [];
      this.heldLength = 0;
    }
    this.sink.onLine(line);
  }

  private startDiscarding(bytesSeen: number): void {
    this.held = [];
    this.heldLength = 0;
    this.discarding = true;
    this.sink.onOverlong(bytesSeen);
  }
}
