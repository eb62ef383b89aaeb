/**
 * Load a scenario: YAML → zod → expansion of `count` entries → cross-checks. Every error names the
 * file, the path inside it and what is wrong, like the hub's own config errors (docs/contract.md §1).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { hash32 } from '../random.ts';
import type { Category } from '../elements.ts';
import { DEFAULT_BEHAVIOUR } from './defaults.ts';
import { scenarioSchema, type Behaviour, type Faults, type ScenarioFile, type Surveys } from './schema.ts';

/** Ids of sites, gateways, devices and buildings (docs/contract.md §1). */
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** A device of the simulated community. */
export interface SimDevice {
  site: string;
  gateway: string;
  id: string;
  type: 'waste-bin' | 'access-gate';
  model: string;
  building?: string;
}

/** A gateway with its plaintext secret and devices. */
export interface SimGateway {
  site: string;
  id: string;
  secret: string;
  devices: SimDevice[];
}

/** A site with its behaviour resolved. */
export interface SimSite {
  id: string;
  name?: string;
  timezone: string;
  households: number;
  buildings?: { id: string; households: number }[];
  /** The site has a household roster (schema.ts `roster`). */
  roster?: { unregistered: number; respelled: number };
  behaviour: Behaviour;
  gateways: SimGateway[];
}

/** A loaded, expanded and checked scenario. */
export interface Scenario {
  /** The file it came from ('' when built in code). */
  file: string;
  name: string;
  description?: string;
  seed: string;
  time: { start: string; days: number; timezone: string };
  hub: {
    rootTopic: string;
    maxFutureSkewMs: number;
    maxAgeMs: number;
    /** kg CO₂e per kg by category, as the hub's `evaluation.co2eFactors`; undefined: not configured. */
    co2eFactors?: Record<Category, number>;
  };
  publish: ScenarioFile['publish'];
  faults: Faults;
  /** Resident survey waves (schema.ts `surveys`), for every site. */
  surveys?: Surveys;
  sites: SimSite[];
}

/** A scenario that is not valid; `message` is for a person and names file, path and problem. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** Read and check a scenario file. */
export function loadScenario(file: string, cwd = process.cwd()): Scenario {
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(
      `${shown}: cannot read the scenario (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw new ScenarioError(
      `${shown}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error: ${err.message.split('\n')[0]}`,
    );
  }
  return parseScenario(doc.toJS(), shown);
}

/** Check an already-decoded scenario (`source` names it in errors). */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ScenarioError(describe(source, zodIssues(parsed.error)));
  const issues: Issue[] = [];
  const siteAt: number[] = [];
  const scenario = expand(parsed.data, source, siteAt);
  check(scenario, siteAt, issues);
  if (issues.length > 0) throw new ScenarioError(describe(source, issues));
  return scenario;
}

interface Issue {
  path: (string | number)[];
  message: string;
}

function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    message: i.code === 'unrecognized_keys' ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}` : i.message,
  }));
}

function describe(source: string, issues: Issue[]): string {
  const lines = issues.slice(0, 20).map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`);
  if (issues.length > 20) lines.push(`  - … and ${issues.length - 20} more`);
  return `${source} is invalid:\n${lines.join('\n')}`;
}

/** `{s}`, `{g}`, `{n}` → numbers, zero-padded to the width of their count. */
function fill(template: string, nums: Record<'s' | 'g' | 'n', { i: number; of: number }>): string {
  return template.replace(/\{([sgn])\}/g, (_, k: 's' | 'g' | 'n') =>
    String(nums[k].i).padStart(String(nums[k].of).length, '0'),
  );
}

/** `siteAt` receives, for each expanded site, the index of its entry in the file (for error paths). */
function expand(f: ScenarioFile, source: string, siteAt: number[]): Scenario {
  const seed = String(f.seed);
  const sites: SimSite[] = [];
  f.sites.forEach((s, si) => {
    for (let sn = 1; sn <= s.count; sn++) {
      const nums = { s: { i: sn, of: s.count }, g: { i: 1, of: 1 }, n: { i: 1, of: 1 } };
      const siteId = fill(s.id, nums);
      const behaviour = { ...DEFAULT_BEHAVIOUR, ...f.behaviour, ...s.behaviour } as Behaviour;
      const site: SimSite = { id: siteId, timezone: s.timezone, households: s.households, behaviour, gateways: [] };
      if (s.name !== undefined) site.name = s.count > 1 ? `${s.name} ${sn}` : s.name;
      if (s.buildings) site.buildings = s.buildings.map((b) => ({ id: fill(b.id, nums), households: b.households }));
      if (s.roster) site.roster = { ...s.roster };
      s.gateways.forEach((g) => {
        for (let gn = 1; gn <= g.count; gn++) {
          const gNums = { ...nums, g: { i: gn, of: g.count } };
          const id = fill(g.id, gNums);
          const secret = g.secret === undefined ? derivedSecret(seed, id) : fill(g.secret, gNums);
          const gw: SimGateway = { site: siteId, id, secret, devices: [] };
          g.devices.forEach((d) => {
            for (let dn = 1; dn <= d.count; dn++) {
              const dNums = { ...gNums, n: { i: dn, of: d.count } };
              const dev: SimDevice = { site: siteId, gateway: id, id: fill(d.id, dNums), type: d.type, model: d.model };
              if (d.building !== undefined) dev.building = fill(d.building, dNums);
              gw.devices.push(dev);
            }
          });
          site.gateways.push(gw);
        }
      });
      siteAt.push(si);
      sites.push(site);
    }
  });
  const first = sites[0];
  return {
    file: source,
    name: f.name,
    ...(f.description === undefined ? {} : { description: f.description }),
    seed,
    time: { start: f.time.start, days: f.time.days, timezone: f.time.timezone ?? first?.timezone ?? 'Asia/Shanghai' },
    hub: {
      rootTopic: f.hub.rootTopic,
      maxFutureSkewMs: f.hub.maxFutureSkew,
      maxAgeMs: f.hub.maxAge,
      ...(f.hub.co2eFactors ? { co2eFactors: f.hub.co2eFactors } : {}),
    },
    publish: f.publish,
    faults: f.faults,
    ...(f.surveys ? { surveys: f.surveys } : {}),
    sites,
  };
}

/** The default plaintext secret of a gateway: derived from the seed, so the hub and the simulator agree. */
export function derivedSecret(seed: string, gateway: string): string {
  const a = hash32(`${seed}\u0000secret\u0000${gateway}`).toString(16).padStart(8, '0');
  const b = hash32(`${gateway}\u0000secret\u0000${seed}`).toString(16).padStart(8, '0');
  return `sim-${a}${b}`;
}

/** Cross-checks after expansion: ids, uniqueness, buildings, and the hub's time limits. */
function check(sc: Scenario, siteAt: number[], issues: Issue[]): void {
  const seen = new Map<string, string>();
  const unique = (key: string, path: (string | number)[], what: string): void => {
    if (seen.has(key)) issues.push({ path, message: `duplicate ${what} (first at ${seen.get(key)})` });
    else seen.set(key, path.join('.'));
  };
  const idOk = (id: string, path: (string | number)[]): void => {
    if (!ID.test(id))
      issues.push({ path, message: `"${id}" must match ^[a-z0-9][a-z0-9_-]{0,63}$ (docs/contract.md §1)` });
  };
  sc.sites.forEach((site, i) => {
    const si = siteAt[i] ?? 0;
    idOk(site.id, ['sites', si, 'id']);
    unique(`site ${site.id}`, ['sites', si, 'id'], `site ${site.id}`);
    const buildings = new Set((site.buildings ?? []).map((b) => b.id));
    if (site.buildings) {
      site.buildings.forEach((b, bi) => idOk(b.id, ['sites', si, 'buildings', bi, 'id']));
      const sum = site.buildings.reduce((a, b) => a + b.households, 0);
      if (sum !== site.households)
        issues.push({
          path: ['sites', si, 'buildings'],
          message: `building households sum to ${sum}, but the site has ${site.households}`,
        });
    }
    for (const gw of site.gateways) {
      const at = ['sites', si, 'gateways', `(${gw.id})`];
      idOk(gw.id, [...at, 'id']);
      unique(
        `gateway ${gw.id}`,
        [...at, 'id'],
        `gateway ${gw.id} (gateway ids are MQTT usernames, unique across sites)`,
      );
      for (const d of gw.devices) {
        const dAt = [...at, 'devices', `(${d.id})`];
        idOk(d.id, [...dAt, 'id']);
        unique(`device ${site.id}/${d.id}`, [...dAt, 'id'], `device ${d.id} at site ${site.id}`);
        if (d.building !== undefined && !buildings.has(d.building))
          issues.push({
            path: [...dAt, 'building'],
            message: `building "${d.building}" is not listed under the site's buildings`,
          });
      }
    }
  });
  const f = sc.faults;
  const perMessage = f.malformed + f.duplicate + f.replay + f.outOfOrder + f.clockSkew + f.tooOld;
  if (perMessage > 1)
    issues.push({
      path: ['faults'],
      message: `the per-message fault rates add up to ${perMessage.toFixed(3)}; at most 1`,
    });
  if (f.clockDrift > sc.hub.maxFutureSkewMs - 60_000)
    issues.push({
      path: ['faults', 'clockDrift'],
      message: `must stay at least 1m under hub.maxFutureSkew (${sc.hub.maxFutureSkewMs} ms) so drifted messages stay valid`,
    });
  if ((sc.time.days + 1) * 86_400_000 > sc.hub.maxAgeMs)
    issues.push({
      path: ['time', 'days'],
      message: `the window plus a day must fit in hub.maxAge (${sc.hub.maxAgeMs} ms) so no valid message turns too_old`,
    });
  for (const key of ['offline', 'outages'] as const) {
    const [lo, hi] = f[key].duration;
    if (lo > hi || lo < 1000)
      issues.push({ path: ['faults', key, 'duration'], message: 'must be [min, max] with 1s ≤ min ≤ max' });
  }
}
