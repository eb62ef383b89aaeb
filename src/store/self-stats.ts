/**
 * The hub's own series in InfluxDB, as Telegraf's `internal` input does for Telegraf: every
 * `selfStats.interval` a snapshot of `hub.stats()` becomes a `hub_stats` point and one `hub_rejects`
 * point per refusal / dead-letter reason, so Grafana (which reads only InfluxDB) can show ingest
 * rates, rejects, spool depth and write latency beside the data (the hub-health dashboard).
 *
 * Counters are cumulative since the hub started (they restart at 0 with the hub): rates come from
 * `non_negative_derivative` / `difference` in InfluxQL, which also step over a restart. Every
 * number is written as a float, like every other hub field (point.ts, line.ts): one field type
 * forever, and counters stay exact up to 2^53.
 *
 * The points go through the spool's normal append path, not straight to a writer: an InfluxDB
 * outage then leaves no hole in the hub's own history (the samples wait in the spool and are
 * written, in order, with the data they describe), and they take the one write path whose health
 * they report. The cost is one small record per interval on disk; while the spool is full, a
 * sample is skipped rather than taking room a gateway's acknowledged data needs.
 */
import { hostname } from 'node:os';
import { REFUSAL_REASONS, type BrokerStats } from '../broker/index.ts';
import type { DurationHistogram } from '../histogram.ts';
import type { Logger } from '../log.ts';
import { REJECT_REASON_LIST } from '../normalise/reasons.ts';
import { nsFromMs, type FieldValue, type Point } from '../point.ts';
import type { IngestStats, PointSpool } from './ingest.ts';
import type { WriterStats } from './point-writer.ts';
import type { DrainerStats, SpoolStats } from './spool/index.ts';
import { spoolRecord } from './spool/record.ts';

/** Measurement of the hub's counters and gauges. */
export const HUB_STATS = 'hub_stats';
/** Measurement of the rejects, tagged `stage` (`mqtt` | `dead_letter`) and `reason`. */
export const HUB_REJECTS = 'hub_rejects';
/** The topic named in a `write_rejected` dead letter should InfluxDB refuse a sample. */
export const SELF_STATS_TOPIC = '$SYS/community-hub/self-stats';

/** What a sample reads: the parts of `hub.stats()` it uses (a stage not started yet is absent). */
export interface SelfStatsSnapshot {
  broker?: Pick<BrokerStats, 'connections' | 'gateways' | 'refusals'> | undefined;
  ingest?: IngestStats | undefined;
  writer?: Pick<WriterStats, 'batchesInFlight' | 'writeDuration'> | undefined;
  spool?:
    | (Pick<SpoolStats, 'bytes' | 'segments' | 'refused'> & {
        oldestRecordAgeMs: number | null;
        drainer: Pick<DrainerStats, 'pointsWritten' | 'retries' | 'lagBytes'>;
      })
    | undefined;
  /** Dead letters stored, by reason. */
  deadLetters: Record<string, number>;
}

/**
 * The points of one sample at `at` (epoch ms). `previous` is the snapshot of the sample before
 * (undefined for the first): write latency is over the requests between the two, so
 * `write_latency_mean_s` (Δsum / Δcount) and `write_latency_p95_s` (from the bucket deltas,
 * interpolated within the bucket as Prometheus' `histogram_quantile`) are left out when no
 * request was made in the interval, rather than written as a misleading 0.
 */
export function selfStatsPoints(
  snapshot: SelfStatsSnapshot,
  previous: SelfStatsSnapshot | undefined,
  instance: string,
  at: number,
): Point[] {
  const time = nsFromMs(at);
  const tags = { instance };
  const fields: Record<string, FieldValue> = {};
  const { broker, ingest, writer, spool } = snapshot;
  if (ingest) {
    fields.messages = ingest.messages;
    fields.points_spooled = ingest.pointsWritten;
    fields.dead_lettered = ingest.deadLettered;
    fields.failed = ingest.failed;
  }
  if (broker) {
    fields.mqtt_connections = broker.connections;
    fields.gateways_connected = broker.gateways.length;
    fields.mqtt_refusals = sum(broker.refusals);
  }
  if (spool) {
    fields.points_written = spool.drainer.pointsWritten;
    fields.drain_retries = spool.drainer.retries;
    fields.spool_refused = spool.refused;
    fields.spool_bytes = spool.bytes;
    fields.spool_lag_bytes = spool.drainer.lagBytes;
    fields.spool_segments = spool.segments;
    fields.spool_oldest_age_s = (spool.oldestRecordAgeMs ?? 0) / 1000;
  }
  if (writer) {
    fields.batches_in_flight = writer.batchesInFlight;
    fields.write_requests = writer.writeDuration.count;
    Object.assign(fields, latency(writer.writeDuration, previous?.writer?.writeDuration));
  }
  const points: Point[] = [];
  if (Object.keys(fields).length > 0) points.push({ measurement: HUB_STATS, tags, fields, time });
  // Every known reason, zeros included: a rate needs the value before the first reject.
  const rejects = (stage: string, known: readonly string[], counts: Record<string, number>): void => {
    for (const reason of new Set([...known, ...Object.keys(counts)])) {
      points.push({
        measurement: HUB_REJECTS,
        tags: { ...tags, stage, reason },
        fields: { count: counts[reason] ?? 0 },
        time,
      });
    }
  };
  if (broker) rejects('mqtt', Object.keys(REFUSAL_REASONS), broker.refusals);
  rejects('dead_letter', REJECT_REASON_LIST, snapshot.deadLetters);
  return points;
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Mean and p95 (seconds) of the observations between `before` and `now`; {} when there were none. */
function latency(now: DurationHistogram, before: DurationHistogram | undefined): Record<string, number> {
  // A histogram that shrank (or has other buckets) is not the same one: count it all.
  const base = before && before.count <= now.count && before.buckets.length === now.buckets.length ? before : undefined;
  const count = now.count - (base?.count ?? 0);
  if (count <= 0) return {};
  const deltas = now.counts.map((c, i) => c - (base?.counts[i] ?? 0));
  return {
    write_latency_mean_s: (now.sum - (base?.sum ?? 0)) / count,
    write_latency_p95_s: quantile(0.95, now.buckets, deltas, count),
  };
}

/** The q-quantile of cumulative bucket counts; beyond the last bound, that bound (as Prometheus). */
function quantile(q: number, bounds: readonly number[], cumulative: readonly number[], count: number): number {
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [i, bound] of bounds.entries()) {
    const c = cumulative[i] ?? 0;
    if (c >= rank) return c === below ? bound : lower + ((bound - lower) * (rank - below)) / (c - below);
    lower = bound;
    below = c;
  }
  return lower;
}

/** Options of {@link SelfStats}. */
export interface SelfStatsOptions {
  /** Milliseconds between samples (> 0). */
  intervalMs: number;
  /** Tag `instance` of every point; default the host name. */
  instance?: string | undefined;
  /** Reads the hub's counters. */
  stats: () => SelfStatsSnapshot;
  /** Where the points go: the spool (see the file comment). */
  spool: PointSpool;
  /** True while the spool holds acknowledgements back for room: the sample is skipped. */
  full?: () => boolean;
  logger: Logger;
  /** The hub's clock: points are stamped with it. */
  now?: () => number;
}

/** What the sampler did since it started. */
export interface SelfStatsCounts {
  /** Samples appended to the spool. */
  samples: number;
  /** Samples that could not be taken or appended (each logged). */
  failures: number;
  /** Ticks skipped: the spool was full, or the previous sample was still being appended. */
  skipped: number;
}

/**
 * Samples the hub's stats every interval into the spool. The timer is unref'd (it never keeps
 * the process alive) and a failure is logged and counted, never thrown: the hub's own series must
 * not disturb the data path it reports on.
 */
export class SelfStats {
  readonly name = 'self-stats';
  readonly #o: SelfStatsOptions;
  readonly #instance: string;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #previous: SelfStatsSnapshot | undefined;
  #pending = false;
  #stopped = false;
  readonly #counts: SelfStatsCounts = { samples: 0, failures: 0, skipped: 0 };

  constructor(options: SelfStatsOptions) {
    if (!(options.intervalMs > 0)) throw new RangeError(`selfStats interval must be > 0 ms, got ${options.intervalMs}`);
    this.#o = options;
    this.#instance = options.instance ?? hostname();
    this.#now = options.now ?? Date.now;
  }

  /** Samples every interval from now on (the first one interval from now). */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.sample(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** No more samples; one being appended finishes (or is refused by the closing spool) on its own. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  counts(): SelfStatsCounts {
    return { ...this.#counts };
  }

  /** Takes one sample now and appends it; resolves true once it is in the spool. Never rejects. */
  async sample(): Promise<boolean> {
    if (this.#stopped) return false;
    if (this.#pending || this.#o.full?.()) {
      this.#counts.skipped++;
      return false;
    }
    this.#pending = true;
    try {
      const at = this.#now();
      const snapshot = this.#o.stats();
      const points = selfStatsPoints(snapshot, this.#previous, this.#instance, at);
      this.#previous = snapshot;
      await this.#o.spool.append(
        spoolRecord(at, points, { topic: SELF_STATS_TOPIC, receivedAt: at, payload: Buffer.alloc(0) }),
      );
      this.#counts.samples++;
      return true;
    } catch (err) {
      this.#counts.failures++;
      // At shutdown the spool refuses: expected, not worth a warning.
      if (!this.#stopped)
        this.#o.logger.warn(
          { err },
          'self stats: could not record the hub_stats sample; the next interval tries again',
        );
      return false;
    } finally {
      this.#pending = false;
    }
  }
}
