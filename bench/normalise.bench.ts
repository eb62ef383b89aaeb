/**
 * The cost of the normalise path per message (createNormaliser once, then `normalise` of one
 * payload: size and UTF-8 checks, JSON.parse, the model's zod schema and mapping, time rules,
 * pseudonyms, point keys), for each model with its representative fixture payloads: a telemetry
 * reading, an event, and a 100-element array of readings (a gateway's backlog). Each row is
 * compared with a baseline measured in the same run on the same bytes: `JSON.parse` of the payload
 * decoded as UTF-8, the least any ingest must do. A fixed clock, so the fixtures' times pass the
 * time rules. `npm run bench -- normalise`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceType } from '../src/config/inventory.ts';
import {
  createNormaliser,
  findModelFolders,
  loadRegistry,
  type NormaliseInput,
  type Normaliser,
} from '../src/normalise/index.ts';
import { median, nsPerOp, type Bench } from './harness.ts';

const NOW = Date.parse('2026-11-27T00:05:00Z');
const KEY = 'fixture-pseudonym-key-0123456789';
/** Repetitions of each measurement; the median is reported. */
const ROUNDS = 5;
/** Aim for about this long per measured round. */
const ROUND_MS = 150;

interface Fixture {
  name: string;
  channel: 'telemetry' | 'event';
  payload: unknown;
}

interface Row {
  label: string;
  bytes: number;
  normaliseNs: number;
  parseNs: number;
  points: number;
}

/** A model's fixtures whose single-object payload is accepted (those with an expected.json and points). */
function acceptedFixtures(dir: string): Fixture[] {
  const root = join(dir, 'fixtures');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .flatMap((name) => {
      const caseDir = join(root, name);
      if (!existsSync(join(caseDir, 'expected.json'))) return [];
      const input = JSON.parse(readFileSync(join(caseDir, 'input.json'), 'utf8')) as {
        channel: 'telemetry' | 'event';
        payload?: unknown;
      };
      const expected = JSON.parse(readFileSync(join(caseDir, 'expected.json'), 'utf8')) as {
        points: unknown[];
        rejects?: unknown[];
      };
      if (
        input.payload === undefined ||
        Array.isArray(input.payload) ||
        expected.points.length === 0 ||
        (expected.rejects ?? []).length > 0
      )
        return [];
      return [{ name, channel: input.channel, payload: input.payload }];
    });
}

/** The representative fixture of a channel: the contract's example where there is one, else the first. */
function pick(fixtures: Fixture[], channel: Fixture['channel'], preferred: string[]): Fixture | undefined {
  const of = fixtures.filter((f) => f.channel === channel);
  const timed = of.filter((f) => !f.name.includes('no-time'));
  return preferred.map((p) => of.find((f) => f.name === p)).find(Boolean) ?? timed[0] ?? of[0];
}

/** Calibrate iterations to about ROUND_MS, then the median ns/op over ROUNDS rounds. */
function measure(fn: () => void): number {
  const probe = nsPerOp(fn, 200, 200);
  const iterations = Math.max(200, Math.round((ROUND_MS * 1e6) / probe));
  return median(Array.from({ length: ROUNDS }, () => nsPerOp(fn, iterations, Math.min(2_000, iterations))));
}

function row(label: string, normaliser: Normaliser, input: NormaliseInput): Row {
  const first = normaliser.normalise(input);
  // Not a benchmark assertion: a rejected payload would measure the reject path, not the model.
  if (first.rejects.length > 0 || first.points.length === 0) {
    throw new Error(
      `${label}: the representative payload was rejected (${first.rejects.map((r) => r.reason).join(', ')})`,
    );
  }
  const bytes = input.payload;
  let sink = 0;
  const normaliseNs = measure(() => {
    sink += normaliser.normalise(input).points.length;
  });
  const parseNs = measure(() => {
    const v = JSON.parse(bytes.toString('utf8')) as unknown;
    if (v === null) sink++;
  });
  if (sink < 0) process.stdout.write(''); // keep the results alive
  return { label, bytes: bytes.length, normaliseNs, parseNs, points: first.points.length };
}

function print(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.label.length), 'payload'.length);
  const head = `  ${'payload'.padEnd(w)}  ${'bytes'.padStart(6)}  ${'points'.padStart(6)}  ${'µs/msg'.padStart(9)}  ${'msg/s'.padStart(9)}  ${'JSON.parse µs'.padStart(13)}  ${'ratio'.padStart(7)}\n`;
  process.stdout.write(head);
  process.stdout.write(`  ${'-'.repeat(head.length - 3)}\n`);
  for (const r of rows) {
    const us = r.normaliseNs / 1000;
    process.stdout.write(
      `  ${r.label.padEnd(w)}  ${String(r.bytes).padStart(6)}  ${String(r.points).padStart(6)}  ${us.toFixed(2).padStart(9)}  ${Math.round(
        1e9 / r.normaliseNs,
      )
        .toLocaleString('en')
        .padStart(
          9,
        )}  ${(r.parseNs / 1000).toFixed(2).padStart(13)}  ${(r.normaliseNs / r.parseNs).toFixed(1).padStart(6)}×\n`,
    );
  }
}

const bench: Bench = {
  title: 'normalise path per message, by model (ratio = normalise ÷ JSON.parse of the same bytes, same run)',
  async run() {
    const registry = await loadRegistry();
    const normaliser = createNormaliser({ models: registry, pseudonymKey: KEY, now: () => NOW });
    const rows: Row[] = [];
    for (const { type, model, dir } of findModelFolders()) {
      const fixtures = acceptedFixtures(dir);
      const telemetry = pick(fixtures, 'telemetry', ['telemetry-full', 'heartbeat']);
      const event = pick(fixtures, 'event', ['event-deposit', 'event-access-granted', 'event-face-granted']);
      const device = {
        site: 'maple-court',
        gateway: 'gw-east',
        id: 'dev-01',
        type: type as DeviceType,
        model,
        building: 'b1',
      };
      const input = (f: Fixture, payload: unknown): NormaliseInput => ({
        site: device.site,
        gateway: device.gateway,
        device,
        channel: f.channel,
        payload: Buffer.from(JSON.stringify(payload), 'utf8'),
        receivedAt: NOW,
      });
      const name = `${type}/${model}`;
      if (telemetry)
        rows.push(row(`${name} telemetry (${telemetry.name})`, normaliser, input(telemetry, telemetry.payload)));
      if (event) rows.push(row(`${name} event (${event.name})`, normaliser, input(event, event.payload)));
      if (telemetry) {
        rows.push(
          row(
            `${name} array of 100 ${telemetry.name}`,
            normaliser,
            input(
              telemetry,
              Array.from({ length: 100 }, () => telemetry.payload),
            ),
          ),
        );
      }
    }
    print(rows);
    process.stdout.write(
      `  (node ${process.version}; median of ${ROUNDS} rounds of ~${ROUND_MS} ms each; clock fixed at ${new Date(NOW).toISOString()})\n`,
    );
  },
};

export default bench;
