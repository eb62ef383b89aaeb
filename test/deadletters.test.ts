import { appendFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeadLetterStore } from '../src/deadletters/store.ts';
import { testDir } from './helpers/tmp.ts';

const T0 = Date.UTC(2026, 10, 27, 8, 0, 0);

function store(over: Partial<ConstructorParameters<typeof DeadLetterStore>[0]> = {}) {
  let now = T0;
  const dir = testDir('hub-dl-');
  const s = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: 86_400_000, now: () => now, ...over });
  return { s, dir, setNow: (t: number) => (now = t) };
}

describe('dead-letter store', () => {
  it('keeps payloads verbatim (text and binary) with topic, gateway, time and reasons', async () => {
    const { s } = store();
    await s.start();
    const binary = Buffer.from([0xff, 0x00, 0xfe]);
    await Promise.all([
      s.add({
        topic: 'community/v1/a/gw/bin/event',
        site: 'a',
        gateway: 'gw',
        device: 'bin',
        channel: 'event',
        receivedAt: T0,
        payload: Buffer.from('{"x":1'),
        rejects: [{ reason: 'bad_json', detail: 'Unexpected end' }],
      }),
      s.add({
        topic: 'community/v1/a/gw/bin/telemetry',
        gateway: 'gw',
        receivedAt: T0 + 1,
        payload: binary,
        rejects: [{ reason: 'bad_json', detail: 'not UTF-8' }],
      }),
      s.add({
        topic: 'community/v1/a/gw2/x/event',
        gateway: 'gw2',
        receivedAt: T0 + 2,
        payload: Buffer.from('[1,2]'),
        rejects: [{ reason: 'schema', detail: 'bad', index: 1 }],
      }),
    ]);
    const all = await s.list();
    expect(all.map((d) => d.receivedAt)).toEqual([T0 + 2, T0 + 1, T0]);
    expect(DeadLetterStore.payloadOf(all[1]!).equals(binary)).toBe(true);
    expect(all[2]!.payload).toBe('{"x":1');
    expect(all[2]!.topic).toBe('community/v1/a/gw/bin/event');
    expect(s.countsByReason()).toEqual({ bad_json: 2, schema: 1 });
    expect((await s.list({ reason: 'schema' })).map((d) => d.gateway)).toEqual(['gw2']);
    expect((await s.list({ gateway: 'gw' })).length).toBe(2);
    expect((await s.list({ fromMs: T0 + 1, toMs: T0 + 2 })).map((d) => d.receivedAt)).toEqual([T0 + 1]);
  });

  it('survives a restart and a torn last line', async () => {
    const { s, dir } = store();
    await s.start();
    await s.add({
      topic: 't',
      receivedAt: T0,
      payload: Buffer.from('x'),
      rejects: [{ reason: 'schema', detail: 'd' }],
    });
    const file = readdirSync(dir)[0]!;
    appendFileSync(join(dir, file), '{"id":"torn","pay');
    const again = new DeadLetterStore({ dir, maxBytes: 1 << 20, maxAgeMs: 86_400_000, now: () => T0 });
    await again.start();
    const listed = await again.list();
    expect(listed.map((d) => d.payload)).toEqual(['x']);
  });

  it('removes files past the age bound', async () => {
    const { s, dir, setNow } = store({ maxAgeMs: 2 * 3_600_000 });
    await s.start();
    writeFileSync(join(dir, 'dl-2026112001.jsonl'), '{}\n'); // a week old
    for (let h = 0; h < 4; h++) {
      setNow(T0 + h * 3_600_000 + 60_000);
      await s.add({
        topic: 't',
        receivedAt: T0,
        payload: Buffer.from('y'),
        rejects: [{ reason: 'schema', detail: 'd' }],
      });
    }
    await s.prune();
    // now = 11:01 UTC, bound 2 h: the 08:00 file (ended 09:00) is gone, 09:00 (ended 10:00) stays.
    expect(readdirSync(dir).sort()).toEqual(['dl-2026112709.jsonl', 'dl-2026112710.jsonl', 'dl-2026112711.jsonl']);
  });

  it('removes the oldest files past the size bound, keeping the newest', async () => {
    const { s, dir, setNow } = store({ maxBytes: 600 });
    await s.start();
    for (let h = 0; h < 6; h++) {
      setNow(T0 + h * 3_600_000);
      await s.add({
        topic: 't',
        receivedAt: T0,
        payload: Buffer.from('y'.repeat(150)),
        rejects: [{ reason: 'schema', detail: 'd' }],
      });
    }
    await s.prune();
    const files = readdirSync(dir).sort();
    const bytes = files.reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(600);
    expect(files.length).toBeGreaterThan(0);
    expect(files.length).toBeLessThan(6);
    expect(files[files.length - 1]).toBe('dl-2026112713.jsonl');
  });
});
