/**
 * The spool: a write-ahead log on local disk between the ingest path and InfluxDB, so a
 * PUBACK waits only for a local fsync, never for InfluxDB, and nothing acknowledged is lost while
 * InfluxDB is away or the process dies. spool.ts appends (group commit), drainer.ts empties it
 * into InfluxDB in order (chunk-writer.ts writes one chunk), frame.ts and record.ts say how records
 * are laid out, reader.ts reads them back, quarantine.ts keeps the bytes it cannot read back,
 * segment-files.ts names and creates the files.
 *
 * Memory is bounded whatever the input rate: every bound, its default and the code that enforces it
 * are listed in docs/operations.md, "Memory bounds" (keep that list true when a bound moves).
 */
export { Spool, type SegmentView, type SpoolOptions, type SpoolStats } from './spool.ts';
export { Drainer, drainerSizing, type DrainerOptions, type DrainerStats, type SpoolPosition } from './drainer.ts';
export { Quarantine, type QuarantineOptions, type Quarantined, type QuarantineSidecar } from './quarantine.ts';
export { spoolRecord, type NewSpoolRecord, type RecordSource, type SpoolRecord } from './record.ts';
export { crc32, SEGMENT_MAGIC } from './frame.ts';
