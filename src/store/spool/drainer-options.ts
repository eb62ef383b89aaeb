/**
 * What a `Drainer` (drainer.ts) is given, and how big its chunks and requests are for a
 * writer's settings.
 */
import type { DeadLetterStore } from '../../deadletters/store.ts';
import type { Logger } from '../../log.ts';
import type { LineWriter } from '../point-writer.ts';
import type { Quarantine } from './quarantine.ts';
import type { Spool } from './spool.ts';

/** Options of the `Drainer`. */
export interface DrainerOptions {
  spool: Spool;
  /** A writer of its own (the drainer retries; give it `maxRetries: 0`, `flushIntervalMs: 0`). */
  writer: LineWriter;
  deadLetters: Pick<DeadLetterStore, 'add'>;
  /** Where damaged stretches are kept before their segment may be removed (quarantine.ts). */
  quarantine: Quarantine;
  logger: Logger;
  /** Most points read from the spool and offered to the writer at once (bounds memory). */
  chunkPoints: number;
  /** Most points in one request (the writer's batch size). */
  batchPoints: number;
  /** Most requests in flight at once (the writer's `maxBatchesInFlight`; default: a chunk's worth). */
  batchesInFlight?: number;
  /** Backoff bounds between attempts (ms). */
  retry: { minRetryDelayMs: number; maxRetryDelayMs: number };
  /** Run before writing, again after every failed attempt (e.g. create the database). */
  prepare?: () => Promise<unknown>;
  now?: () => number;
  /** Seal the written active segment once the drainer has been in it this long (ms; default 2 s). */
  sealAfterMs?: number;
}

/**
 * The drainer's chunk and batch sizes for a writer with these settings: a chunk is as many points
 * as the writer may have in flight and queued at once (bounds memory), a batch one request.
 */
export function drainerSizing(s: {
  batchSize: number;
  maxBatchesInFlight: number;
  maxQueuedPoints: number;
}): Pick<DrainerOptions, 'chunkPoints' | 'batchPoints' | 'batchesInFlight'> {
  return {
    chunkPoints: Math.min(s.batchSize * s.maxBatchesInFlight, s.maxQueuedPoints),
    batchPoints: Math.min(s.batchSize, s.maxQueuedPoints),
    batchesInFlight: s.maxBatchesInFlight,
  };
}
