/**
 * The spool (issue 4): a write-ahead log on local disk between the ingest path and InfluxDB, so a
 * PUBACK waits only for a local fsync, never for InfluxDB, and nothing acknowledged is lost while
 * InfluxDB is away or the process dies. spool.ts appends (group commit), drainer.ts empties it
 * into InfluxDB in order (chunk-writer.ts writes one chunk), frame.ts and record.ts say how records
 * are laid out, reader.ts reads them back, segment-files.ts names and creates the files.
 *
 * Memory is bounded whatever the input rate; each bound (default) and where it is enforced:
 * - input per connection: one socket read at a time (aedes reads nothing more from a client until
 *   every packet of the last read is handled, then TCP flow control holds the sender), plus at most
 *   one PUBLISH of `4 × mqtt.maxPacketBytes` (1 MiB): aedes lib/client.js (`nextBatch`),
 *   src/broker/packet-guard.ts;
 * - connections: `mqtt.maxConnections` (10 000), beyond a margin closed unread: src/broker/index.ts;
 * - accepted messages not yet on disk, all clients: `spool.maxBufferedBytes` (64 MiB) of records
 *   waiting for room or for their group commit; beyond, refused at once (no PUBACK): spool.ts `append`;
 * - how long one waits for room: `spool.backpressureTimeout` (30 s), then refused (no PUBACK):
 *   spool.ts `#expire`;
 * - the spool on disk: `spool.maxBytes` (1 GiB): spool.ts `#fits`;
 * - records read back at once: `influx.batchSize × influx.maxBatchesInFlight` points (4 000), at
 *   most 8 MiB, read in 1 MiB blocks: drainer.ts, reader.ts;
 * - points queued for InfluxDB: `influx.maxQueuedPoints` (50 000); `maxBatchesInFlight` (4)
 *   requests of `batchSize` (1 000): src/store/influx-writer.ts.
 */
export { Spool, type SegmentView, type SpoolOptions, type SpoolStats } from './spool.ts';
export { Drainer, type DrainerOptions, type DrainerStats, type SpoolPosition } from './drainer.ts';
export { type RecordSource, type SpoolRecord } from './record.ts';
export { crc32, SEGMENT_MAGIC } from './frame.ts';
