/**
 * The store stage (architecture.md): points into InfluxDB, InfluxQL out of it.
 * Other stages import from here only.
 */
export { DEFAULT_INFLUX_SETTINGS, influxApiVersion, resolveInfluxSettings, type InfluxSettings } from './settings.ts';
export { connectInflux, type InfluxConnection } from './connection.ts';
export { createTransport, toV1Path, v1Bucket } from './transport.ts';
export { classifyInfluxError, classifyWriteError, influxMessage } from './classify.ts';
export { encodeLines, toLineProtocol } from './line.ts';
export { parseLine, parseLines } from './line-parse.ts';
export { ensureDatabase, quoteIdent, type EnsureResult } from './database.ts';
export {
  ping,
  query,
  rfc3339ToNs,
  type PingResult,
  type QueryOptions,
  type QueryRow,
  type QueryValue,
} from './query.ts';
export { emptyStats, type LineWriter, type PointWriter, type WriterStats } from './point-writer.ts';
export { InfluxPointWriter } from './influx-writer.ts';
export { InfluxStore, type InfluxPurpose, type InfluxStoreOptions } from './influx-store.ts';
export { MemoryPointWriter, type MemoryWriterOptions } from './memory-writer.ts';
export { retryDelayMs } from './retry.ts';
