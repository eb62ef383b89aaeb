/**
 * `/metrics`: Prometheus text from a registry of the server's own (no global state), whose
 * metrics read `hub.stats()` when scraped (prom-client `collect()` callbacks).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { StatsView } from './deps.ts';

/** A counter whose value is a running total kept elsewhere. */
function total(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Counter({
    name, help, registers: [registry],
    collect() {
      this.reset();
      this.inc(read() ?? 0);
    },
  });
}

/** A counter by one label, from a record of totals. */
function totalsBy(registry: Registry, name: string, help: string, label: string, read: () => Record<string, number> | undefined): void {
  new Counter({
    name, help, labelNames: [label], registers: [registry],
    collect() {
      this.reset();
      for (const [k, v] of Object.entries(read() ?? {})) this.inc({ [label]: k }, v);
    },
  });
}

function gauge(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  new Gauge({
    name, help, registers: [registry],
    collect() {
      this.set(read() ?? 0);
    },
  });
}

/** The hub's metrics over `stats`. */
export function createMetrics(stats: () => StatsView): Registry {
  const r = new Registry();
  total(r, 'hub_messages_received_total', 'MQTT publishes handed to the ingest path', () => stats().ingest?.messages);
  total(r, 'hub_messages_accepted_total', 'publishes accepted and acknowledged by the broker', () => stats().broker?.accepted);
  total(r, 'hub_messages_failed_total', 'publishes not made durable (not acknowledged, to be resent)', () => stats().ingest?.failed);
  total(r, 'hub_messages_dead_lettered_total', 'messages with at least one rejected element', () => stats().ingest?.deadLettered);
  totalsBy(r, 'hub_dead_letters_total', 'dead letters stored, by reason', 'reason', () => stats().deadLetters);
  total(r, 'hub_points_spooled_total', 'points made durable in the spool', () => stats().ingest?.pointsWritten);
  total(r, 'hub_points_written_total', 'points the spool drainer wrote to InfluxDB', () => stats().spool?.drainer.pointsWritten);
  total(r, 'hub_spool_drain_retries_total', 'InfluxDB writes of the drainer repeated after a retryable failure', () => stats().spool?.drainer.retries);
  total(r, 'hub_spool_refused_total', 'records the spool refused (no room in time, memory bound, disk error)', () => stats().spool?.refused);
  total(r, 'hub_influx_batches_written_total', 'write requests InfluxDB acknowledged', () => stats().writer?.batchesWritten);
  gauge(r, 'hub_spool_bytes', 'bytes of the spool files on disk', () => stats().spool?.bytes);
  gauge(r, 'hub_spool_lag_bytes', 'bytes of the spool not yet written to InfluxDB', () => stats().spool?.drainer.lagBytes);
  gauge(r, 'hub_spool_segments', 'segment files of the spool', () => stats().spool?.segments);
  gauge(r, 'hub_spool_oldest_record_age_seconds', 'age of the oldest record not yet in InfluxDB (0 when none waits)', () => (stats().spool?.oldestRecordAgeMs ?? 0) / 1000);
  gauge(r, 'hub_spool_backpressure', '1 while acknowledgements wait for room in the spool', () => (stats().spool?.backpressure ? 1 : 0));
  gauge(r, 'hub_mqtt_connections', 'open MQTT network connections', () => stats().broker?.connections);
  gauge(r, 'hub_gateways_connected', 'gateways with an authenticated MQTT connection', () => stats().broker?.gateways.length);
  totalsBy(r, 'hub_mqtt_refusals_total', 'MQTT connections or packets refused, by reason', 'reason', () => stats().broker?.refusals);
  return r;
}
