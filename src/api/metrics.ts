/**
 * `/metrics`: Prometheus text from a registry of the server's own (no global state), whose
 * metrics read `hub.stats()` when scraped (prom-client `collect()` callbacks).
 *
 * Histograms (write latency, KPI run durations): the stages keep a cumulative
 * {@link DurationHistogram} in their `stats()` (src/histogram.ts), and {@link histogram} below
 * turns that snapshot into histogram samples when scraped. Why not prom-client Histograms fed by
 * an `onDuration` callback: the stages are built before the API (hub.ts) and must not import it
 * (data flows one way, test/architecture.test.ts), so the registry would have to be created early
 * and threaded through them; and a Histogram cannot be set from cumulative counts. Reading a
 * snapshot like every other metric here keeps the stages free of prom-client and the registry
 * rebuilt-per-server.
 */
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { emptyHistogram, type DurationHistogram } from '../histogram.ts';
import type { DeadLetterStoreStats } from '../deadletters/store.ts';
import type { StatsView } from './deps.ts';

/** A counter whose value is a running total kept elsewhere. */
function total(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read() ?? 0);
    },
  });
}

/** A counter by one label, from a record of totals. */
function totalsBy(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  read: () => Record<string, number> | undefined,
): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(read() ?? {})) this.inc({ [label]: k }, v);
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read() ?? 0);
    },
  });
}

/**
 * A histogram whose samples (`_bucket{le}`, `_sum`, `_count`) are a cumulative snapshot kept
 * elsewhere; all zero (over the default buckets) while `read` gives nothing. prom-client's
 * registry formats any registered object with `name`, `help`, `type` and an async `get()` (its
 * Counter and Gauge work the same way); its typings only list its own classes, hence the cast.
 */
function histogram(registry: Registry, name: string, help: string, read: () => DurationHistogram | undefined): void {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    collect: () => undefined,
    get() {
      const h = read() ?? emptyHistogram();
      const values = [
        ...h.buckets.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le }, value: h.counts[i] ?? 0 })),
        { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count },
        { metricName: `${name}_sum`, labels: {}, value: h.sum },
        { metricName: `${name}_count`, labels: {}, value: h.count },
      ];
      return Promise.resolve({ name, help, type: 'histogram', aggregator: 'sum', values });
    },
  };
  registry.registerMetric(metric as unknown as Metric);
}

/**
 * The dead-letter store on disk (src/deadletters/stats.ts, docs/operations.md "Monitoring"): how
 * much it holds against `deadLetters.maxBytes`, what it wrote, what its bounds removed (records
 * lost to retention are gone for replay: an alert on `hub_dead_letter_pruned_bytes_total{bound="size"}`
 * says the store is too small), and its disk failures.
 */
function deadLetterStoreMetrics(r: Registry, read: () => DeadLetterStoreStats | undefined): void {
  gauge(r, 'hub_dead_letter_bytes', 'bytes of the dead-letter files on disk', () => read()?.bytes);
  gauge(r, 'hub_dead_letter_files', 'dead-letter files on disk', () => read()?.files);
  gauge(
    r,
    'hub_dead_letter_pending_bytes',
    'bytes of dead letters waiting for their write to disk',
    () => read()?.pendingBytes,
  );
  total(
    r,
    'hub_dead_letter_records_written_total',
    'dead-letter records written and synced to disk',
    () => read()?.recordsWritten,
  );
  totalsBy(
    r,
    'hub_dead_letter_pruned_files_total',
    'dead-letter files removed by a bound: size (deadLetters.maxBytes) or age (deadLetters.maxAge)',
    'bound',
    () => read()?.prunedFiles ?? { size: 0, age: 0 },
  );
  totalsBy(
    r,
    'hub_dead_letter_pruned_bytes_total',
    'bytes of the dead-letter files removed by a bound: size (deadLetters.maxBytes) or age (deadLetters.maxAge)',
    'bound',
    () => read()?.prunedBytes ?? { size: 0, age: 0 },
  );
  total(
    r,
    'hub_dead_letter_write_errors_total',
    'dead-letter writes that failed (their messages refused, not acknowledged)',
    () => read()?.writeErrors,
  );
  total(
    r,
    'hub_dead_letter_backlog_refusals_total',
    'dead letters refused because too many bytes already waited for the disk',
    () => read()?.refusedBacklog,
  );
  total(
    r,
    'hub_dead_letter_prune_errors_total',
    'dead-letter files that could not be checked or removed',
    () => read()?.pruneErrors,
  );
  total(
    r,
    'hub_dead_letter_torn_tails_total',
    'torn last lines of dead-letter files repaired at start',
    () => read()?.tornTails,
  );
}

/** The hub's metrics over `stats`. */
export function createMetrics(stats: () => StatsView): Registry {
  const r = new Registry();
  total(r, 'hub_messages_received_total', 'MQTT publishes handed to the ingest path', () => stats().ingest?.messages);
  total(
    r,
    'hub_messages_accepted_total',
    'publishes accepted and acknowledged by the broker',
    () => stats().broker?.accepted,
  );
  total(
    r,
    'hub_messages_failed_total',
    'publishes not made durable (not acknowledged, to be resent)',
    () => stats().ingest?.failed,
  );
  total(
    r,
    'hub_messages_dead_lettered_total',
    'messages with at least one rejected element',
    () => stats().ingest?.deadLettered,
  );
  totalsBy(r, 'hub_dead_letters_total', 'dead letters stored, by reason', 'reason', () => stats().deadLetters);
  deadLetterStoreMetrics(r, () => stats().deadLetterStore);
  total(r, 'hub_points_spooled_total', 'points made durable in the spool', () => stats().ingest?.pointsWritten);
  total(
    r,
    'hub_points_written_total',
    'points the spool drainer wrote to InfluxDB',
    () => stats().spool?.drainer.pointsWritten,
  );
  total(
    r,
    'hub_spool_drain_retries_total',
    'InfluxDB writes of the drainer repeated after a retryable failure',
    () => stats().spool?.drainer.retries,
  );
  total(
    r,
    'hub_spool_quarantined_total',
    'damaged or torn stretches of the spool copied to <dataDir>/quarantine/ (each also a spool_damaged dead letter)',
    () => stats().spool?.drainer.quarantined,
  );
  total(
    r,
    'hub_spool_quarantined_bytes_total',
    'bytes of the stretches counted by hub_spool_quarantined_total',
    () => stats().spool?.drainer.quarantinedBytes,
  );
  total(
    r,
    'hub_spool_refused_total',
    'records the spool refused (no room in time, memory bound, disk error)',
    () => stats().spool?.refused,
  );
  total(
    r,
    'hub_influx_batches_written_total',
    'write requests InfluxDB acknowledged',
    () => stats().writer?.batchesWritten,
  );
  gauge(r, 'hub_spool_bytes', 'bytes of the spool files on disk', () => stats().spool?.bytes);
  gauge(
    r,
    'hub_spool_lag_bytes',
    'bytes of the spool not yet written to InfluxDB',
    () => stats().spool?.drainer.lagBytes,
  );
  gauge(r, 'hub_spool_segments', 'segment files of the spool', () => stats().spool?.segments);
  gauge(
    r,
    'hub_spool_oldest_record_age_seconds',
    'age of the oldest record not yet in InfluxDB (0 when none waits)',
    () => (stats().spool?.oldestRecordAgeMs ?? 0) / 1000,
  );
  gauge(r, 'hub_spool_backpressure', '1 while acknowledgements wait for room in the spool', () =>
    stats().spool?.backpressure ? 1 : 0,
  );
  gauge(r, 'hub_mqtt_connections', 'open MQTT network connections', () => stats().broker?.connections);
  gauge(
    r,
    'hub_gateways_connected',
    'gateways with an authenticated MQTT connection',
    () => stats().broker?.gateways.length,
  );
  histogram(
    r,
    'hub_influx_write_duration_seconds',
    'durations of the InfluxDB write requests of the spool drainer (ingest points), acknowledged or failed',
    () => stats().writer?.writeDuration,
  );
  histogram(r, 'hub_kpi_run_duration_seconds', 'durations of the KPI scheduler runs', () => stats().kpi?.runDuration);
  total(r, 'hub_kpi_runs_total', 'KPI scheduler runs finished', () => stats().kpi?.runs);
  total(
    r,
    'hub_kpi_run_failures_total',
    'KPI scheduler runs with at least one failed site-period',
    () => stats().kpi?.failedRuns,
  );
  total(
    r,
    'hub_kpi_periods_closed_total',
    'KPI site-periods closed (computed a last time after their end)',
    () => stats().kpi?.closed,
  );
  total(
    r,
    'hub_kpi_recomputed_total',
    'KPI site-periods recomputed because late data touched them or the start found them missing or incomplete',
    () => stats().kpi?.recomputed,
  );
  gauge(
    r,
    'hub_kpi_marks_pending',
    'KPI site-periods marked for a recompute (late data, backfill) and not recomputed yet',
    () => stats().kpi?.marksPending,
  );
  gauge(
    r,
    'hub_kpi_last_run_duration_seconds',
    'duration of the last KPI scheduler run (0 before the first)',
    () => stats().kpi?.lastRunSeconds ?? 0,
  );
  gauge(
    r,
    'hub_kpi_lease_held',
    '1 while this hub holds the KPI lease (cluster.redisUrl) and runs the scheduler',
    () => (stats().kpiLease?.held ? 1 : 0),
  );
  total(r, 'hub_kpi_lease_acquired_total', 'times this hub took the KPI lease', () => stats().kpiLease?.acquired);
  total(
    r,
    'hub_kpi_lease_lost_total',
    'times this hub lost the KPI lease unreleased (renewal failed or another owner)',
    () => stats().kpiLease?.lost,
  );
  total(
    r,
    'hub_reports_built_total',
    'reports built automatically when a period closed or was recomputed',
    () => stats().report?.built,
  );
  total(r, 'hub_report_failures_total', 'automatic report builds that failed (logged)', () => stats().report?.failed);
  total(
    r,
    'hub_report_pdf_failures_total',
    'report PDFs not printed: Chromium missing, failing or too slow',
    () => stats().report?.pdfFailed,
  );
  total(r, 'hub_reports_pruned_total', 'kept reports deleted by report.keep', () => stats().report?.pruned);
  total(
    r,
    'hub_mqtt_auth_cache_hits_total',
    'gateway logins (MQTT CONNECT, EMQX authn) accepted from the verified-credential cache, without scrypt',
    () => stats().broker?.authCache.hits,
  );
  total(
    r,
    'hub_mqtt_auth_cache_misses_total',
    'gateway logins (MQTT CONNECT, EMQX authn) checked with scrypt while the credential cache is on',
    () => stats().broker?.authCache.misses,
  );
  totalsBy(
    r,
    'hub_mqtt_refusals_total',
    'MQTT connections or packets refused, by reason',
    'reason',
    () => stats().broker?.refusals,
  );
  totalsBy(
    r,
    'hub_inventory_reloads_total',
    'inventory reloads (SIGHUP or the admin API), by result: ok, or invalid (the running inventory stayed)',
    'result',
    () => stats().inventoryReloads ?? { ok: 0, invalid: 0 },
  );
  return r;
}
