/**
 * A device model is one folder (devices/README.md, "How to add a model"): in a temporary copy of the
 * repository, `devices/waste-bin/generic-v1` is copied to `devices/waste-bin/acme-v1` with only the
 * name inside changed; then, inside the copy, the device tests (the hub's registry, the fixtures
 * through the pipeline, the folder's shape) and `community-sim ledger` on a scenario using the new
 * model both pass, and no other file of the copy differs from the original. Last, a broken sim.ts
 * in the copy stops `community-sim` with the folder's name.
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.ts';
import { sharedInflux } from '../helpers/influx-shared.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FROM = 'devices/waste-bin/generic-v1';
const TO = 'devices/waste-bin/acme-v1';
/** Generous: the copy's vitest and the simulator start from cold, on a shared machine. */
const SLOW = 600_000;

/** The repository's files as git sees the working tree: tracked ones that exist, and new ones not ignored. */
function listRepo(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git ls-files: exit ${code}`));
      resolve([...new Set(out.split('\0').filter((f) => f && existsSync(join(ROOT, f))))]);
    });
  });
}

/** Every file under `dir` (relative), without following the node_modules link. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p, base);
    return e.isFile() ? [relative(base, p)] : [];
  });
}

/** Run `node args…` in `cwd`; the child is killed (by its PID) if the test gives up on it. */
const children = new Set<ReturnType<typeof spawn>>();
function node(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of a child: no trace of this vitest run, the run's InfluxDB for the copy's tests. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'TEST') env[k] = v;
  const influx = sharedInflux();
  env.HUB_INFLUX_URL = influx.url;
  for (const [k, v] of [
    ['HUB_INFLUX_TOKEN', influx.token],
    ['HUB_INFLUX_USERNAME', influx.username],
    ['HUB_INFLUX_PASSWORD', influx.password],
  ] as const)
    if (v) env[k] = v;
    else delete env[k];
  env.NO_COLOR = '1';
  return env;
}

/** A one-day scenario whose only waste station is of `model`. */
function scenario(model: string): string {
  return [
    'name: acme',
    'seed: 42',
    'time: { start: 2026-11-23, days: 1, timezone: Asia/Shanghai }',
    'faults: { malformed: 0.05, duplicate: 0.02, offline: { perDay: 1 } }',
    'sites:',
    '  - id: maple-court',
    '    households: 30',
    '    gateways:',
    '      - id: gw-1',
    '        devices:',
    `          - { id: bin-01, type: waste-bin, model: ${model} }`,
    '          - { id: gate-01, type: access-gate, model: generic-v1 }',
    '',
  ].join('\n');
}

describe('a new device model is one folder, simulator included', () => {
  let copy = '';
  let scratch = '';
  let originals: string[] = [];

  beforeAll(async () => {
    copy = mkdtempSync(join(tmpdir(), 'model-folder-'));
    scratch = mkdtempSync(join(tmpdir(), 'model-folder-scenario-'));
    originals = await listRepo();
    expect(originals).toContain(`${FROM}/index.ts`);
    for (const f of originals) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(ROOT, f), join(copy, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
    // The new model: a copy of the folder, with its name changed inside the copy only.
    cpSync(join(copy, FROM), join(copy, TO), { recursive: true });
    for (const file of ['index.ts', 'sim.ts']) {
      const path = join(copy, TO, file);
      const text = readFileSync(path, 'utf8');
      expect(text.match(/model: 'generic-v1'/g), `${TO}/${file} names its model once`).toHaveLength(1);
      writeFileSync(path, text.replace("model: 'generic-v1'", "model: 'acme-v1'"));
    }
  }, SLOW);

  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    if (copy) rmSync(copy, { recursive: true, force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it(
    'the device tests pass inside the copy, the new model among them',
    async () => {
      const vitest = join(copy, 'node_modules/vitest/vitest.mjs');
      const r = await node([vitest, 'run', 'test/devices/', '--reporter=verbose'], copy, childEnv());
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      // The copy's registry, fixtures and shape checks saw the new folder (vitest quotes names: 'waste-bin'/'acme-v1').
      const name = (s: string): string => s.replaceAll("'", '');
      expect(name(r.stdout)).toContain('waste-bin/acme-v1/event-deposit');
      expect(name(r.stdout)).toContain('waste-bin/acme-v1 has its simulator part');
    },
    SLOW,
  );

  it(
    'community-sim accepts a scenario with the new model, and it behaves as the model it was copied from',
    async () => {
      const bin = join(copy, 'bin/community-sim.js');
      const ledger = async (model: string): Promise<Record<string, unknown>> => {
        const file = join(scratch, `${model}.yaml`);
        writeFileSync(file, scenario(model));
        const r = await node([bin, 'ledger', '--scenario', file], copy, childEnv());
        expect(r.code, r.stderr).toBe(0);
        const l = JSON.parse(r.stdout) as Record<string, unknown> & { scenario: { file?: string } };
        delete l.scenario.file;
        return l;
      };
      const acme = (await ledger('acme-v1')) as {
        streamHash: string;
        totals: { messages: number; deadLetterMessages: number };
        expected: { eventIds: { deposit: Record<string, string[]> } };
      };
      expect(acme.totals.messages).toBeGreaterThan(100);
      expect(acme.totals.deadLetterMessages).toBeGreaterThan(0); // its payloads were broken on purpose too
      expect(acme.expected.eventIds.deposit['maple-court/bin-01']?.length).toBeGreaterThan(0);
      // Same payloads, same topics: the copy is the generic-v1 format under another name.
      expect(JSON.stringify(acme)).toBe(JSON.stringify(await ledger('generic-v1')));
    },
    SLOW,
  );

  it('no file of the copy other than the new folder differs from the original', () => {
    const now = walk(copy).filter((f) => !f.startsWith('node_modules/'));
    expect(now.filter((f) => !f.startsWith(`${TO}/`)).sort()).toEqual([...originals].sort());
    for (const f of originals) expect(readFileSync(join(copy, f)).equals(readFileSync(join(ROOT, f))), f).toBe(true);
  });

  it(
    'a sim.ts that names another folder stops community-sim with the folder and exit 78',
    async () => {
      const path = join(copy, TO, 'sim.ts');
      writeFileSync(path, readFileSync(path, 'utf8').replace("model: 'acme-v1'", "model: 'acme-v2'"));
      const file = join(scratch, 'check.yaml');
      writeFileSync(file, scenario('generic-v1'));
      const r = await node([join(copy, 'bin/community-sim.js'), 'check', '--scenario', file], copy, childEnv());
      expect(r.code).toBe(78);
      expect(r.stderr).toBe(
        'community-sim: devices/waste-bin/acme-v1/sim.ts exports waste-bin/acme-v2; it must equal its folder\n',
      );
    },
    SLOW,
  );
});
