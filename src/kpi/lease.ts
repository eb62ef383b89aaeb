/**
 * One KPI scheduler among several hubs (docs/operations.md, "Several hubs: one KPI scheduler"):
 * when `cluster.redisUrl` is set, only the hub holding this lease runs the scheduler's ticks and
 * late checks (and so the automatic reports, which follow computed periods). Every
 * `cluster.leaseTtl / 3` the holder extends it (compare-and-extend) and the others try to take it
 * (`SET NX PX`), so when a holder dies without releasing, another takes over within TTL + one
 * interval. `stop()` releases it (compare-and-delete) so a restart hands over at once.
 *
 * Never two schedulers: a renewal that fails or finds another owner drops the lease at once, and
 * {@link KpiLease.held} is also false once the TTL has run out since the last renewal was sent,
 * even while that renewal hangs. A tick overlapping at the hand-over is harmless: a recompute
 * overwrites (docs/contract.md §5).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Component, StopContext } from '../lifecycle.ts';
import { settlesBy } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import type { HandedMark, MarksHandOff } from './late-handoff.ts';
import { openRedisLeaseStore, type LeaseStore } from './lease-store.ts';
import type { Stoppable } from './scheduler-types.ts';

/** What {@link KpiLease} needs. */
export interface KpiLeaseOptions {
  /** Opens the store (Redis) in `start()`; never throws for an unreachable server. */
  open: () => Promise<LeaseStore>;
  /** The Redis key, {@link kpiLeaseKey}. */
  key: string;
  /** The Redis set of late-data marks handed to the holder; default `{key}:late-marks`. */
  marksKey?: string;
  /** This hub's value in the key; default {@link leaseOwner}. */
  owner?: string;
  /** `cluster.leaseTtl` (ms). */
  ttlMs: number;
  logger: Logger;
  /** Called when this hub takes the lease (the KPI stage runs a tick at once). */
  onAcquired?: () => void;
  /** Monotonic clock, ms; default `performance.now`. */
  now?: () => number;
  /** Runs `run` every `ms`; default an unref'd `setInterval`. Tests pass their own. */
  every?: (ms: number, run: () => Promise<unknown>) => Stoppable;
}

/** The lease as `/ready` and `/metrics` show it. */
export interface KpiLeaseStats {
  /** Whether this hub holds the lease now (`hub_kpi_lease_held`). */
  held: boolean;
  key: string;
  owner: string;
  /** Times this hub took the lease (`hub_kpi_lease_acquired_total`). */
  acquired: number;
  /** Times it lost it without releasing: another owner, or a renewal that failed (`hub_kpi_lease_lost_total`). */
  lost: number;
  /** Whether the last command reached Redis. */
  reachable: boolean;
}

/** `community-hub:{rootTopic}:kpi-lease`: hubs sharing a topic root share one scheduler. */
export function kpiLeaseKey(rootTopic: string): string {
  return `community-hub:${rootTopic}:kpi-lease`;
}

/** Unique per process and start: host name, PID and a random part (a PID is reused after a restart). */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

function interval(ms: number, run: () => Promise<unknown>): Stoppable {
  const timer = setInterval(() => void run(), ms);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** See the file comment. */
export class KpiLease implements Component, MarksHandOff {
  readonly name = 'kpi-lease';
  readonly #o: KpiLeaseOptions;
  readonly #owner: string;
  readonly #now: () => number;
  #store: LeaseStore | undefined;
  #timer: Stoppable | undefined;
  #inFlight: Promise<void> | undefined;
  #held = false;
  /** Monotonic time before which the lease is surely still ours (when the last success was sent + TTL). */
  #validUntil = -Infinity;
  #stopped = false;
  #reachable = true;
  #acquired = 0;
  #lost = 0;

  constructor(options: KpiLeaseOptions) {
    this.#o = options;
    this.#owner = options.owner ?? leaseOwner();
    this.#now = options.now ?? (() => performance.now());
  }

  /** Renewal interval, ms: a third of the TTL, so two renewals may fail before it runs out. */
  get renewMs(): number {
    return Math.max(1, Math.floor(this.#o.ttlMs / 3));
  }

  /** True while this hub holds the lease: the KPI scheduler runs only then. */
  held(): boolean {
    return this.#held && this.#now() < this.#validUntil;
  }

  async start(): Promise<void> {
    const o = this.#o;
    const store = await o.open();
    // Stopped while connecting: the stop found no store to close.
    if (this.#stopped) return void (await store.close());
    this.#store = store;
    this.#timer = (o.every ?? interval)(this.renewMs, () => this.renew());
    await this.renew();
    o.logger.info(
      { key: o.key, owner: this.#owner, ttlMs: o.ttlMs, renewMs: this.renewMs, held: this.held() },
      this.held()
        ? 'KPI lease held: this hub runs the KPI scheduler'
        : 'KPI lease not held: another hub runs the KPI scheduler, or Redis is unreachable',
    );
  }

  /** One renewal (the holder) or attempt to take the lease (the others); what the timer calls. */
  renew(): Promise<void> {
    if (this.#stopped || !this.#store) return Promise.resolve();
    this.#inFlight ??= this.#attempt(this.#store).finally(() => (this.#inFlight = undefined));
    return this.#inFlight;
  }

  async #attempt(store: LeaseStore): Promise<void> {
    const { key, ttlMs, logger } = this.#o;
    const sentAt = this.#now();
    // A renewal that hung past the TTL: the lease may be another's by now.
    if (this.#held && sentAt >= this.#validUntil) this.#lose('no renewal answered within its TTL');
    let ok: boolean;
    try {
      // A hub that counts the lease as lost may still be its owner in Redis (a renewal that failed
      // on the way): extending it then is safe, and spares the other hubs a TTL of no scheduler.
      ok = this.#held
        ? await store.extend(key, this.#owner, ttlMs)
        : (await store.acquire(key, this.#owner, ttlMs)) || (await store.extend(key, this.#owner, ttlMs));
      this.#reachable = true;
    } catch (err) {
      if (this.#reachable) logger.warn({ err, key }, 'KPI lease: Redis did not answer; this hub runs no KPI ticks');
      this.#reachable = false;
      if (this.#held) this.#lose('its renewal failed');
      return;
    }
    if (this.#stopped) return;
    if (!ok) {
      if (this.#held) this.#lose('another hub holds it now');
      return;
    }
    this.#validUntil = sentAt + ttlMs;
    if (this.#held) return;
    this.#held = true;
    this.#acquired++;
    logger.info({ key, owner: this.#owner }, 'KPI lease taken: this hub runs the KPI scheduler');
    try {
      this.#o.onAcquired?.();
    } catch (err) {
      logger.error({ err }, 'KPI lease: onAcquired failed');
    }
  }

  #lose(why: string): void {
    this.#held = false;
    this.#validUntil = -Infinity;
    this.#lost++;
    this.#o.logger.warn({ key: this.#o.key, owner: this.#owner, why }, 'KPI lease lost: this hub stops its KPI ticks');
  }

  /** Stops renewing and releases the lease (only if still this hub's), so another takes it at once. */
  async stop({ deadline }: StopContext): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#held = false; // ticks stop before the key goes
    await this.#timer?.stop();
    const store = this.#store;
    if (!store) return;
    await settlesBy(this.#inFlight ?? Promise.resolve(), deadline);
    // Also when not held: an attempt in flight at the stop may have taken the key. Compare-and-delete
    // never removes another hub's lease.
    const released = store.release(this.#o.key, this.#owner).catch(() => false);
    if ((await settlesBy(released, deadline)) && (await released))
      this.#o.logger.info({ key: this.#o.key }, 'KPI lease released');
    await settlesBy(store.close(), deadline);
  }

  /** Hands late-data marks to the holder (a hub without the lease; src/kpi/late-handoff.ts). */
  async push(marks: readonly HandedMark[]): Promise<void> {
    const members = marks.map((m) => JSON.stringify([m.site, m.kind, m.date]));
    await this.#opened().addMembers(this.#marksKey, members);
  }

  /** Takes at most `limit` handed-over marks (the holder). A member that does not parse is dropped. */
  async take(limit: number): Promise<HandedMark[]> {
    const out: HandedMark[] = [];
    for (const member of await this.#opened().popMembers(this.#marksKey, limit)) {
      try {
        const [site, kind, date] = JSON.parse(member) as [string, HandedMark['kind'], string];
        if (typeof site === 'string' && typeof kind === 'string' && typeof date === 'string')
          out.push({ site, kind, date });
      } catch {
        this.#o.logger.warn({ member }, 'a handed-over late-data mark does not parse; dropped');
      }
    }
    return out;
  }

  get #marksKey(): string {
    return this.#o.marksKey ?? `${this.#o.key}:late-marks`;
  }

  #opened(): LeaseStore {
    if (!this.#store || this.#stopped) throw new Error('the KPI lease is not running');
    return this.#store;
  }

  stats(): KpiLeaseStats {
    return {
      held: this.held(),
      key: this.#o.key,
      owner: this.#owner,
      acquired: this.#acquired,
      lost: this.#lost,
      reachable: this.#reachable,
    };
  }
}

/**
 * The hub's lease when `cluster.redisUrl` is set and `kpi.enabled` (undefined otherwise: a lone hub
 * runs its scheduler): on that Redis, key {@link kpiLeaseKey}, each command given a third of the
 * TTL (an answer later than that would come after the next renewal was due).
 */
export function redisKpiLease(o: {
  config: {
    readonly kpi: { readonly enabled: boolean };
    readonly mqtt: { readonly rootTopic: string };
    readonly cluster: { readonly redisUrl?: string | undefined; readonly leaseTtl: number };
  };
  logger: Logger;
  onAcquired: () => void;
}): KpiLease | undefined {
  const { redisUrl, leaseTtl } = o.config.cluster;
  if (!o.config.kpi.enabled || !redisUrl) return undefined;
  const logger = o.logger.child({ component: 'kpi-lease' });
  return new KpiLease({
    key: kpiLeaseKey(o.config.mqtt.rootTopic),
    ttlMs: leaseTtl,
    logger,
    open: () => openRedisLeaseStore({ url: redisUrl, timeoutMs: Math.floor(leaseTtl / 3), logger }),
    onAcquired: o.onAcquired,
  });
}
