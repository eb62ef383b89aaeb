/** A binary min-heap ordered by `(at, seq)`: the simulator's agenda of future actions and messages. */

/** Anything with a time and a tie-breaking sequence number. */
export interface Timed {
  at: number;
  seq: number;
}

/** Min-heap of timed entries; equal times come out in `seq` order, so the order is deterministic. */
export class Agenda<T extends Timed> {
  private readonly items: T[] = [];

  /** Entries held. */
  get size(): number {
    return this.items.length;
  }

  /** The earliest entry's time, or Infinity when empty. */
  peekAt(): number {
    return this.items[0]?.at ?? Infinity;
  }

  /** Add an entry. */
  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  /** Remove and return the earliest entry. */
  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Remove and return, in order, every entry with `at < limit`. */
  *drain(limit: number): Generator<T> {
    while (this.items.length > 0 && this.items[0]!.at < limit) yield this.pop()!;
  }
}

function before(x: Timed, y: Timed): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
