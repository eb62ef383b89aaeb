/**
 * The drainer lets go of what it wrote: after a drain, the records' memory (their frames, and the
 * slabs those were cut from: src/store/spool/record.ts) is free again while the drainer runs on.
 * It once kept every chunk it had written until it stopped (src/store/spool/stop-signal.ts): a
 * leak that grew with the message rate and showed as scavenges and major collections under load
 * (docs/benchmarks-profile.md, "Fourth round").
 *
 * The writer is a stand-in that counts: what is under test is the drainer's memory, not InfluxDB
 * (the drainer against the real server: spool.test.ts, poison.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LineWriter } from '../../src/store/point-writer.ts';
import { emptyStats } from '../../src/store/point-writer.ts';
import { Drainer, Quarantine, Spool, spoolRecord } from '../../src/store/spool/index.ts';
import { fullGc } from '../helpers/gc.ts';
import { captureLogs } from './helpers.ts';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Counts what it is given and keeps none of it. */
class CountingLines implements LineWriter {
  points = 0;
  writeLines(_body: Buffer, points: number): Promise<void> {
    this.points += points;
    return Promise.resolve();
  }
  stats() {
    return emptyStats();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('the spool drainer’s memory', () => {
  it('keeps none of the records it wrote once they are written, while it runs on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hub-drainer-memory-'));
    dirs.push(dir);
    const { logger } = captureLogs();
    const spool = new Spool({
      dir,
      maxBytes: 1024 * MiB,
      fsync: false,
      maxBufferedBytes: 64 * MiB,
      backpressureTimeoutMs: 30_000,
      logger,
    });
    await spool.open();
    const writer = new CountingLines();
    const deadLetters = { add: () => Promise.reject(new Error('no record here is refused')) };
    const drainer = new Drainer({
      spool,
      writer,
      deadLetters,
      quarantine: new Quarantine({ dir: join(dir, 'quarantine'), fsync: false, deadLetters }),
      logger,
      chunkPoints: 400,
      batchPoints: 100,
      retry: { minRetryDelayMs: 5, maxRetryDelayMs: 50 },
    });
    try {
      await fullGc();
      const before = process.memoryUsage().arrayBuffers;
      drainer.start();
      // 96 MiB of records in frames of ~16 KiB (slab-sized ones: record.ts cuts those from shared slabs).
      const records = 6144;
      const payload = 'x'.repeat(16 * 1024 - 200);
      for (let i = 0; i < records; i += 64) {
        await Promise.all(
          Array.from({ length: 64 }, (_, k) =>
            spool.append(
              spoolRecord(
                1000,
                [{ measurement: 'm', tags: { d: `d${i + k}` }, fields: { v: i + k }, time: String(1e18 + i + k) }],
                { topic: `t/${i + k}`, receivedAt: 1000, payload: Buffer.from(payload) },
              ),
            ),
          ),
        );
      }
      await drainer.drained();
      expect(writer.points).toBe(records);
      await fullGc();
      const kept = process.memoryUsage().arrayBuffers - before;
      // The spool's tail may hold its 16 MiB of the newest frames (tail.ts); the rest must be free.
      expect(kept, `${(kept / MiB).toFixed(1)} MiB still held after writing 96 MiB`).toBeLessThan(40 * MiB);
    } finally {
      await drainer.stop();
      await spool.close();
    }
  });
});
