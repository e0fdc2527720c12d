// Which changes the live stream touched while a REST read was under way. A reconcile walk reads a
// page of change histories; a change the stream moved on meanwhile would be set back by that older
// page, so the walk leaves it to a rebuild of its own (ChangeRebuilds) instead. Touches are kept
// only while a read is open, so the record stays as small as the changes one read overlaps.

export interface OpenRead {
  /** True when a live event of the change was applied after this read began. */
  touched(changeNumber: number): boolean;
  end(): void;
}

export class LiveActivity {
  private seq = 0;
  private readonly lastTouch = new Map<number, number>();
  private openReads = 0;

  /** A live event of the change is being applied. */
  touch(changeNumber: number): void {
    if (this.openReads > 0) {
      this.seq += 1;
      this.lastTouch.set(changeNumber, this.seq);
    }
  }

  beginRead(): OpenRead {
    this.openReads += 1;
    const mark = this.seq;
    let open = true;
    return {
      touched: (n) => (this.lastTouch.get(n) ?? 0) > mark,
      end: () => {
        if (open) {
          open = false;
          this.openReads -= 1;
          if (this.openReads === 0) {
            this.lastTouch.clear();
          }
        }
      },
    };
  }

  /** Changes remembered (for tests: bounded by the open reads). */
  get size(): number {
    return this.lastTouch.size;
  }
}
