/**
 * A stop that work can be raced against without anything staying behind.
 *
 * `Promise.race([work, stopped])` with one long-lived `stopped` promise adds a reaction to that
 * promise per call. V8 keeps every reaction until the promise settles, and each reaction keeps the
 * context of the closure that made it (nodejs/node#17469). In the drainer, that context held the
 * chunk of records being written: every record it ever wrote stayed in memory until the hub
 * stopped, with the slabs their frames were cut from (docs/benchmarks-profile.md, "Fourth round").
 * Here a race adds a waiter to a set and takes it out again once its work settles.
 */

/** What {@link StopSignal.race} gives when the stop came first. */
export const STOPPED: unique symbol = Symbol('stopped');

/** A one-way stop; see the file comment. */
export class StopSignal {
  #stopped = false;
  readonly #waiters = new Set<() => void>();

  /** True once {@link stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Races still waiting for their work (none once every race settled: nothing is kept). */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Stops: every race still waiting settles with {@link STOPPED}, and every later one at once. */
  stop(): void {
    this.#stopped = true;
    for (const settle of this.#waiters) settle();
    this.#waiters.clear();
  }

  /** `work`'s outcome, or {@link STOPPED} when the stop comes first (`work` then goes on unobserved). */
  race<T>(work: Promise<T>): Promise<T | typeof STOPPED> {
    if (this.#stopped) return Promise.resolve(STOPPED);
    return new Promise<T | typeof STOPPED>((resolve, reject) => {
      const settle = (): void => resolve(STOPPED);
      this.#waiters.add(settle);
      work.then(
        (value) => {
          this.#waiters.delete(settle);
          resolve(value);
        },
        (error: unknown) => {
          this.#waiters.delete(settle);
          reject(error);
        },
      );
    });
  }
}
