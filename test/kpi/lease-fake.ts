/**
 * An in-memory {@link LeaseStore} with Redis's semantics for the lease's three commands (SET NX PX,
 * compare-and-extend, compare-and-delete) and for the set of handed-over marks (SADD, SPOP), over
 * a clock of its own, for unit tests. `down` makes every command reject, as an unreachable Redis
 * does; `hang` makes them wait until `unhang()`. test/kpi/lease-contract.ts runs the same suite
 * against it and against redis-server.
 */
import type { LeaseStore } from '../../src/kpi/lease-store.ts';

export class FakeLeaseStore implements LeaseStore {
  readonly #keys = new Map<string, { owner: string; until: number }>();
  readonly #sets = new Map<string, Set<string>>();
  readonly #now: () => number;
  #waiting: Array<() => void> = [];
  down = false;
  hang = false;
  closed = 0;
  calls: string[] = [];

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async #gate(call: string): Promise<void> {
    this.calls.push(call);
    if (this.hang) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.down) throw new Error('connect ECONNREFUSED (fake Redis down)');
  }

  #live(key: string): { owner: string; until: number } | undefined {
    const e = this.#keys.get(key);
    if (e && e.until <= this.#now()) this.#keys.delete(key);
    return this.#keys.get(key);
  }

  /** Lets every hung command go on. */
  unhang(): void {
    this.hang = false;
    for (const w of this.#waiting.splice(0)) w();
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<boolean> {
    await this.#gate('acquire');
    if (this.#live(key)) return false;
    this.#keys.set(key, { owner, until: this.#now() + ttlMs });
    return true;
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    await this.#gate('extend');
    const e = this.#live(key);
    if (e?.owner !== owner) return false;
    e.until = this.#now() + ttlMs;
    return true;
  }

  async release(key: string, owner: string): Promise<boolean> {
    await this.#gate('release');
    if (this.#live(key)?.owner !== owner) return false;
    this.#keys.delete(key);
    return true;
  }

  async addMembers(key: string, members: readonly string[]): Promise<void> {
    await this.#gate('addMembers');
    const set = this.#sets.get(key) ?? new Set<string>();
    for (const m of members) set.add(m);
    this.#sets.set(key, set);
  }

  async popMembers(key: string, count: number): Promise<string[]> {
    await this.#gate('popMembers');
    const set = this.#sets.get(key) ?? new Set<string>();
    const out = [...set].slice(0, count);
    for (const m of out) set.delete(m);
    return out;
  }

  async holder(key: string): Promise<string | null> {
    await this.#gate('holder');
    return this.#live(key)?.owner ?? null;
  }

  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}
