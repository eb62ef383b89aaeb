/**
 * A torn last record: a hub takes messages while InfluxDB is unreachable, so they are
 * only in its spool; it stops, and the spool's last file is cut in the middle of its last record,
 * as a crash mid-append leaves it. The next hub on the same data directory logs the torn record,
 * skips it, keeps its bytes in the quarantine with a `spool_damaged` dead letter, and replays
 * every whole record before it into the real InfluxDB.
 */
import { readFile, rm, stat, truncate } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { sharedInflux, uniqueName } from '../helpers/influx-shared.ts';
import { parseLines } from '../../src/store/index.ts';
import {
  drainedWithin,
  eventIds,
  influxAt,
  quarantined,
  spooledFrames,
  startLocalHub,
  storedEvents,
  writeHubFiles,
  type LocalHub,
} from './helpers.ts';
import { spoolWhileInfluxDown } from './publisher.ts';

const database = uniqueName('torn');
let hub: LocalHub | undefined;
let dir: string | undefined;

afterAll(async () => {
  await hub?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a record cut mid-write is detected and skipped with a log line; every complete record before it is replayed', async () => {
  const files = await spoolWhileInfluxDown(database, 60);
  dir = files.dir;

  const frames = await spooledFrames(files.spoolDir);
  expect(frames).toHaveLength(60);
  const last = frames.at(-1)!;
  const lastId = parseLines(last.record.lines).find((p) => p.measurement === 'deposit')!.fields.event_id;
  const size = (await stat(last.file)).size;
  expect(size).toBe(last.end);
  await truncate(last.file, size - 10);
  const evidence = await readFile(last.file);
  const start = frames.at(-2)!.file === last.file ? frames.at(-2)!.end : 8;

  const { url } = sharedInflux();
  await writeHubFiles({ influxUrl: url, database, dir: files.dir }); // same folder: InfluxDB is back
  hub = await startLocalHub(files);
  await drainedWithin(hub.hub, 30_000);
  const torn = hub.logs.find((l) => String(l.msg).startsWith('spool: torn record'));
  expect(torn).toMatchObject({ level: 40, file: last.file, detail: expect.stringMatching(/cut short/) });
  const want = eventIds(Array.from({ length: 60 }, (_, i) => i));
  want.delete(String(lastId));
  const stored = await storedEvents(influxAt(url, database));
  expect(stored.ids).toEqual(want);
  expect(stored.rows).toBe(59);
  expect(hub.hub.stats().spool?.drainer.damaged).toBe(1);

  // Never acknowledged (the PUBACK follows the fsync of the whole record), yet kept: the reader
  // cannot tell a torn write from damage at the end of a file (docs/operations.md).
  const [kept, more] = await quarantined(files.dataDir);
  expect(more).toBeUndefined();
  expect(kept!.sidecar).toMatchObject({ offset: start, bytes: size - 10 - start, torn: true });
  expect(kept!.bytes.equals(evidence.subarray(start))).toBe(true);
  const [dl] = await hub.hub.deadLetters({ reason: 'spool_damaged' });
  expect(dl!.id).toBe(kept!.sidecar.deadLetter);
  expect(dl!.rejects[0]!.detail).toMatch(/\(torn last record\)/);
  expect(hub.hub.stats().spool?.drainer).toMatchObject({ quarantined: 1, quarantinedBytes: size - 10 - start });
}, 60_000);
