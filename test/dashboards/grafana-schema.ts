/**
 * JSON schemas of Grafana's dashboard model, generated from the TypeScript types Grafana publishes
 * in `@grafana/schema` (generated there from Grafana's CUE kinds) with `ts-json-schema-generator`.
 * Independent of the foundation SDK that builds our dashboards: a field the
 * SDK or we get wrong is caught here, not in Grafana at night.
 *
 * The dashboard kind types a panel's `options` and `fieldConfig.defaults.custom` loosely (they
 * belong to the panel plugin), so each visualisation's own `Options` and `FieldConfig` types
 * (raw/composable/<type>/panelcfg) are checked separately.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';

const RAW = 'node_modules/@grafana/schema/dist/types/raw';
const version = (pkg: string) =>
  (JSON.parse(readFileSync(`node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version;

/**
 * The `@grafana/schema` version the schemas come from: pinned to the Grafana that
 * docker-compose.yml runs (a test keeps the two equal).
 */
export const GRAFANA_SCHEMA_VERSION = version('@grafana/schema');

/**
 * Fields Grafana keeps although its schema does not list them, each with why we write it:
 * `definition` is the query text Grafana's own variable editor saves; `auto`, `auto_min` and
 * `auto_count` are interval-variable fields the foundation SDK writes on every variable (Grafana
 * ignores them on a query variable). Anything else unknown is an error.
 */
const TOLERATED: Record<string, readonly string[]> = {
  VariableModel: ['definition', 'auto', 'auto_min', 'auto_count'],
};

/** The one generated `.d.ts` of a folder of @grafana/schema (file names differ between versions). */
function typesFile(dir: string): string {
  const found = readdirSync(join(RAW, dir)).filter((f) => f.endsWith('.gen.d.ts'));
  if (found.length !== 1)
    throw new Error(`${RAW}/${dir}: expected one *.gen.d.ts, found ${found.join(', ') || 'none'}`);
  return join(RAW, dir, found[0]!);
}

interface JsonSchema {
  definitions?: Record<string, { properties?: Record<string, unknown> }>;
}

/**
 * Generating takes a few seconds per type, so schemas are cached under node_modules/.cache, keyed
 * by both packages' versions (a clean clone generates them once).
 */
function schemaOf(path: string, type: string): JsonSchema {
  const cacheDir = join(
    'node_modules',
    '.cache',
    'community-hub',
    `grafana-schema-${GRAFANA_SCHEMA_VERSION}-tsjsg-${version('ts-json-schema-generator')}`,
  );
  const cached = join(cacheDir, `${path.replace(/[^a-z0-9]+/gi, '_')}.${type}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as JsonSchema;
  } catch {
    // skipTypeCheck: the published .d.ts files are already checked; resolving them is what we need.
    const schema = createGenerator({ path, type, tsconfig: 'tsconfig.json', skipTypeCheck: true }).createSchema(
      type,
    ) as JsonSchema;
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cached, JSON.stringify(schema));
    return schema;
  }
}

function tolerate(schema: JsonSchema): JsonSchema {
  for (const [def, fields] of Object.entries(TOLERATED)) {
    const props = schema.definitions?.[def]?.properties;
    if (props) for (const f of fields) props[f] ??= {};
  }
  return schema;
}

function exported(path: string): Set<string> {
  return new Set([...readFileSync(path, 'utf8').matchAll(/^export interface (\w+)/gm)].map((m) => m[1]!));
}

/** Validators of a dashboard and of each panel type's options and custom field config. */
export interface GrafanaValidators {
  dashboard: ValidateFunction;
  /** Panel type → validator of its `options`. */
  options: Map<string, ValidateFunction>;
  /** Panel type → validator of its `fieldConfig.defaults.custom` (types that have one). */
  custom: Map<string, ValidateFunction>;
}

/** Generates the schemas (a second or so per type) and compiles them. */
export function grafanaValidators(panelTypes: readonly string[]): GrafanaValidators {
  // strict: the generated schemas use only standard draft-07 keywords (and `type: [a, b]` unions,
  // allowed explicitly); anything else is a bug here.
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const compile = (schema: object) => ajv.compile(schema);
  const options = new Map<string, ValidateFunction>();
  const custom = new Map<string, ValidateFunction>();
  for (const type of panelTypes) {
    const path = typesFile(`composable/${type}/panelcfg/x`);
    const names = exported(path);
    if (names.has('Options')) options.set(type, compile(schemaOf(path, 'Options')));
    if (names.has('FieldConfig')) custom.set(type, compile(schemaOf(path, 'FieldConfig')));
  }
  return { dashboard: compile(tolerate(schemaOf(typesFile('dashboard/x'), 'Dashboard'))), options, custom };
}

/** ajv's errors, one line each, for an assertion message. */
export function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
    .join('\n');
}
