/**
 * `/metrics` shows the dead-letter store (docs/operations.md, "Monitoring"): its files and bytes on
 * disk, records written, files and bytes removed by each bound, torn tails repaired and disk
 * failures. A real hub with a small store (1 KiB files, 8 KiB in all, 2 hours) takes `bad_json`
 * dead letters through HTTP ingest; `app.inject` reads `/metrics`, and every number is compared
 * with what the folder itself shows, watched after each request: the files seen that are gone are
 * what the bounds removed.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { createLogger } from '../../src/log.ts';
import { InfluxPointWriter } from '../../src/store/index.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { dropDatabase, EAST, FIXTURE, fixedClock, startHub, type E2eHub } from '../e2e/helpers.ts';

const OPERATOR = 'operator-key-dead-letter-metrics';
const clock = fixedClock('2026-11-27T04:10:00Z');
let dataDir: string;
let dlDir: string;
let h: E2eHub;
let app: FastifyInstance;
let writer: InfluxPointWriter;
/** Every `.jsonl` file seen in the store, with its largest size. */
const seen = new Map<string, number>();

/** The store's `.jsonl` files now, by name (noting each in `seen`). */
async function onDisk(): Promise<Map<string, number>> {
  const now = new Map<string, number>();
  for (const name of await readdir(dlDir)) {
    if (!name.endsWith('.jsonl')) continue;
    const { size } = await stat(join(dlDir, name));
    now.set(name, size);
    seen.set(name, Math.max(size, seen.get(name) ?? 0));
  }
  return now;
}

/** Files and bytes seen once and gone now. */
async function removed(): Promise<{ files: number; bytes: number }> {
  const now = await onDisk();
  const gone = [...seen].filter(([name]) => !now.has(name));
  return { files: gone.length, bytes: gone.reduce((a, [, b]) => a + b, 0) };
}

/** One message that is not JSON, through HTTP ingest: a `bad_json` dead letter (docs/contract.md §6). */
async function badJson(i: number): Promise<void> {
  const [user, secret] = EAST;
  const r = await app.inject({
    method: 'POST',
    url: `/api/v1/ingest/${FIXTURE.site}/gw-east/bin-01/event`,
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    payload: `{not json ${i} ${'x'.repeat(200)}`,
  });
  expect(r.statusCode, r.body).toBe(202);
  expect(r.json()).toEqual({ accepted: 0, rejected: [{ reason: 'bad_json' }] });
  // The answer comes once the record is on disk; the bounds are applied right after. Listing
  // waits for the store's writes and prunes to finish (DeadLetterStore.flush).
  await h.hub.deadLetters({ limit: 1 });
  await onDisk();
}

/** The samples of `/metrics` whose name starts with `hub_dead_letter_`, by sample (name and labels). */
async function metrics(): Promise<Record<string, number>> {
  const r = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${OPERATOR}` } });
  expect(r.statusCode).toBe(200);
  const out: Record<string, number> = {};
  for (const line of r.body.split('\n'))
    if (line.startsWith('hub_dead_letter_')) {
      const at = line.lastIndexOf(' ');
      out[line.slice(0, at)] = Number(line.slice(at + 1));
    }
  return out;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hub-dl-metrics-'));
  dlDir = join(dataDir, 'dead-letters');
  await mkdir(dlDir);
  // What an earlier run left: one whole record, then a torn line (the start sets it aside).
  await writeFile(
    join(dlDir, 'dl-00000001-2026112703.jsonl'),
    `{"id":"1.a-0-1","topic":"t","payload":"x","encoding":"utf8","receivedAt":1,"rejects":[]}\n{"id":"1.b-1`,
  );
  h = await startHub({
    database: uniqueName('dl_metrics'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    clock,
    dataDir,
    extra: { operatorKey: OPERATOR, deadLetters: { maxBytes: 8192, maxAge: '2h' } },
  });
  writer = new InfluxPointWriter(h.conn);
  app = await buildServer({
    config: h.loaded.config,
    inventory: h.loaded.inventory,
    conn: h.conn,
    writer,
    logger: createLogger('silent'),
    now: clock.now,
    hub: h.hub,
  });
});
afterAll(async () => {
  await app?.close();
  await writer?.close();
  if (h) {
    await dropDatabase(h.conn);
    await h.stop();
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('GET /metrics, the dead-letter store', () => {
  it('shows the files and bytes an earlier run left, and the torn tail repaired at start', async () => {
    const disk = await onDisk();
    const m = await metrics();
    expect(m.hub_dead_letter_torn_tails_total).toBe(1);
    expect(m.hub_dead_letter_files).toBe(disk.size);
    expect(m.hub_dead_letter_bytes).toBe([...disk.values()].reduce((a, b) => a + b, 0));
    expect(m.hub_dead_letter_records_written_total).toBe(0);
    expect(m['hub_dead_letter_pruned_files_total{bound="size"}']).toBe(0);
    expect(m['hub_dead_letter_pruned_files_total{bound="age"}']).toBe(0);
  });

  it('counts records written, and the files and bytes the size bound removed', async () => {
    // About 300 bytes each: past 8 KiB in all, the oldest 1 KiB files go.
    for (let i = 0; i < 40; i++) await badJson(i);
    const disk = await onDisk();
    const gone = await removed();
    const m = await metrics();
    expect(m.hub_dead_letter_records_written_total).toBe(40);
    expect(m.hub_dead_letter_files).toBe(disk.size);
    expect(m.hub_dead_letter_bytes).toBe([...disk.values()].reduce((a, b) => a + b, 0));
    expect(m.hub_dead_letter_bytes).toBeLessThanOrEqual(8192);
    expect(gone.files).toBeGreaterThan(0);
    expect(m['hub_dead_letter_pruned_files_total{bound="size"}']).toBe(gone.files);
    expect(m['hub_dead_letter_pruned_bytes_total{bound="size"}']).toBe(gone.bytes);
    expect(m['hub_dead_letter_pruned_files_total{bound="age"}']).toBe(0);
    expect(m.hub_dead_letter_pending_bytes).toBe(0);
  }, 120_000); // 40 requests, each checking the gateway secret with scrypt

  it('counts the files and bytes the age bound removed, apart from the size bound', async () => {
    const m0 = await metrics();
    const before = await removed();
    // Three hours on: every file but the one being written is past the 2-hour bound.
    clock.set('2026-11-27T07:10:00Z');
    await badJson(100);
    const after = await removed();
    const m = await metrics();
    expect(after.files).toBeGreaterThan(before.files);
    expect(m['hub_dead_letter_pruned_files_total{bound="age"}']).toBe(after.files - before.files);
    expect(m['hub_dead_letter_pruned_bytes_total{bound="age"}']).toBe(after.bytes - before.bytes);
    expect(m['hub_dead_letter_pruned_files_total{bound="size"}']).toBe(
      m0['hub_dead_letter_pruned_files_total{bound="size"}'],
    );
    const disk = await onDisk();
    expect(m.hub_dead_letter_files).toBe(disk.size);
    expect(m.hub_dead_letter_bytes).toBe([...disk.values()].reduce((a, b) => a + b, 0));
    expect(m.hub_dead_letter_records_written_total).toBe(41);
  });

  it('has a HELP and TYPE line for each, and no disk failures counted', async () => {
    const r = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${OPERATOR}` } });
    for (const [name, type] of [
      ['hub_dead_letter_bytes', 'gauge'],
      ['hub_dead_letter_files', 'gauge'],
      ['hub_dead_letter_pending_bytes', 'gauge'],
      ['hub_dead_letter_records_written_total', 'counter'],
      ['hub_dead_letter_pruned_files_total', 'counter'],
      ['hub_dead_letter_pruned_bytes_total', 'counter'],
      ['hub_dead_letter_write_errors_total', 'counter'],
      ['hub_dead_letter_backlog_refusals_total', 'counter'],
      ['hub_dead_letter_prune_errors_total', 'counter'],
      ['hub_dead_letter_torn_tails_total', 'counter'],
    ]) {
      expect(r.body).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(r.body).toMatch(new RegExp(`^# TYPE ${name} ${type}$`, 'm'));
    }
    const m = await metrics();
    expect(m.hub_dead_letter_write_errors_total).toBe(0);
    expect(m.hub_dead_letter_backlog_refusals_total).toBe(0);
    expect(m.hub_dead_letter_prune_errors_total).toBe(0);
  });
});
