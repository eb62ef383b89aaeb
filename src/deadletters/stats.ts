/** The dead-letter store's stats (src/deadletters/store.ts), apart so the store stays readable. */

/** Which bound removed a file: the store's size (`maxBytes`) or the age of its hour (`maxAge`). */
export type PruneBound = 'size' | 'age';

/**
 * The store on disk now, what it took and removed since start, and what went wrong, for logs and
 * `/metrics` (docs/operations.md, "Monitoring"). Sizes are of the `.jsonl` files only (set-aside
 * `.torn` bytes are not records).
 */
export interface DeadLetterStoreStats {
  /** Dead-letter files on disk (as of the last write, start or prune). */
  files: number;
  /** Bytes of those files. */
  bytes: number;
  /** Records written (and synced) since start. */
  recordsWritten: number;
  /** Files removed by a bound since start, by bound. */
  prunedFiles: Record<PruneBound, number>;
  /** Bytes of those files. */
  prunedBytes: Record<PruneBound, number>;
  /** Groups of records whose write or sync failed (refused, not acknowledged). */
  writeErrors: number;
  /** Files that could not be checked or removed. */
  pruneErrors: number;
  /** Records refused because too many bytes already waited for the disk. */
  refusedBacklog: number;
  /** Torn last lines repaired at start. */
  tornTails: number;
  /** Bytes of records waiting for their write. */
  pendingBytes: number;
}
