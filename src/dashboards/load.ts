/**
 * The dashboards folder → built dashboards: reads `*.yaml` (not `_*.yaml`) and `_components.yaml`,
 * fills the build's parameters (KPI targets, `each` values) and checks that uids are unique.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { configSchema, type HubConfig } from '../config/schema.ts';
import { buildDashboard, fillPlaceholders, invalid, issues, type GrafanaDashboard } from './build.ts';
import { componentsSchema, dashboardSchema, type Components } from './schema.ts';

export const COMPONENTS_FILE = '_components.yaml';
const EACH_VALUE = /^[A-Za-z0-9_-]+$/;

/** One built dashboard: its file name stem (plus the `each` value) and Grafana's JSON model. */
export interface BuiltDashboard {
  name: string;
  json: GrafanaDashboard;
}

/** What a build may be given besides the YAML. */
export interface BuildOptions {
  /** Parameters every dashboard may use as `{name}` (see {@link kpiTargetParams}). */
  params?: Readonly<Record<string, string | number>>;
  /** Replaces the values of a dashboard's `each` list parameter of that name (`--each site=a,b`). */
  each?: Readonly<Record<string, readonly string[]>>;
}

/**
 * `{kpi_target_<id>}` for each KPI target of the hub's config (per period kind for the count KPI:
 * `{kpi_target_bin_overflow_alarms_day}`), so threshold lines follow `kpi.targets`.
 */
export function kpiTargetParams(targets: HubConfig['kpi']['targets']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, t] of Object.entries(targets)) {
    if (typeof t === 'number') out[`kpi_target_${id}`] = t;
    else for (const [period, n] of Object.entries(t)) out[`kpi_target_${id}_${period}`] = n;
  }
  return out;
}

/** The KPI targets' defaults (src/config/schema.ts), for a build without a hub config. */
export const DEFAULT_PARAMS: Readonly<Record<string, number>> = Object.freeze(
  kpiTargetParams(configSchema.shape.kpi.parse({}).targets),
);

/**
 * YAML text → value; an unknown tag is an error, as in the hub's own config (src/config/load.ts),
 * not a warning printed on stderr and a string read in its place.
 */
function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw problem;
  return doc.toJS() as unknown;
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    return invalid(file, (e as Error).message);
  }
}

/** Reads and validates `dir/_components.yaml` (none: no components). */
export function loadComponents(dir: string): Components {
  const file = join(dir, COMPONENTS_FILE);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    invalid(file, (e as Error).message);
  }
  const parsed = componentsSchema.safeParse(raw);
  if (!parsed.success) issues(file, parsed.error);
  return parsed.data;
}

/** One file → one dashboard, or one per value of its `each` parameter (added to `declared`). */
function buildFile(
  dir: string,
  f: string,
  components: Components,
  options: BuildOptions,
  declared: Set<string>,
): BuiltDashboard[] {
  const file = join(dir, f);
  const stem = basename(f, '.yaml');
  const first = dashboardSchema.safeParse(readYaml(file));
  if (!first.success) issues(file, first.error);
  const { each, ...spec } = first.data;
  const [param, listed] = Object.entries(each ?? {})[0] ?? [];
  if (param !== undefined) declared.add(param);
  const values: Array<string | undefined> =
    param === undefined ? [undefined] : [...(options.each?.[param] ?? listed ?? [])];
  // A value becomes part of a file name and a uid: the file's own values are checked by the schema.
  const bad = values.find((v) => v !== undefined && !EACH_VALUE.test(v));
  if (bad !== undefined) invalid(file, `each ${param}: "${bad}" is not a value of letters, digits, _ and -`);
  return values.map((value) => {
    const params = {
      ...DEFAULT_PARAMS,
      ...options.params,
      ...(param !== undefined && value !== undefined ? { [param]: value } : {}),
    };
    const name = value === undefined ? stem : `${stem}-${value}`;
    // Re-parsed after filling: a whole-string placeholder may have become a number.
    const filled = dashboardSchema.safeParse(fillPlaceholders(spec, params, file));
    if (!filled.success) issues(file, filled.error);
    return { name, json: buildDashboard(name, filled.data, components) };
  });
}

/** Builds every `dir/*.yaml` except `_*.yaml`, sorted by name; uids must be unique. */
export function buildDashboards(dir: string, options: BuildOptions = {}): BuiltDashboard[] {
  const components = loadComponents(dir);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('_'))
    .sort();
  const declared = new Set<string>();
  const built = files.flatMap((f) => buildFile(dir, f, components, options, declared));
  // An `each` override no dashboard declares is a mistake worth hearing about, not a no-op.
  for (const name of Object.keys(options.each ?? {})) {
    if (!declared.has(name))
      invalid(dir, `no dashboard has a list parameter "${name}" (each: {${name}: [...]}) for --each to replace`);
  }
  const seen = new Map<string, string>();
  for (const b of built) {
    const uid = b.json.uid ?? '';
    const other = seen.get(uid);
    if (other !== undefined) invalid(dir, `dashboards ${other} and ${b.name} have the same uid ${uid}`);
    seen.set(uid, b.name);
  }
  return built;
}
