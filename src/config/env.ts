/**
 * Environment overrides: every leaf of the config schema has a variable named after its path
 * (`influx.maxInFlight` → `HUB_INFLUX_MAX_IN_FLIGHT`), and the environment wins over the file
 * (docs/contract.md §7). Derived from the schema, so a new setting gets its variable for free.
 */
import type { z } from 'zod';

/** One settable leaf of the config. */
export interface EnvSetting {
  path: string[];
  env: string;
  kind: string;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly']);

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

function defOf(t: z.ZodType): Def {
  return (t as unknown as { _zod: { def: Def } })._zod.def;
}

/** `maxInFlight` → `MAX_IN_FLIGHT`. */
export function envName(path: readonly string[]): string {
  return 'HUB_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every settable leaf of `schema`, with its environment variable. */
export function envSettings(schema: z.ZodType, path: string[] = []): EnvSetting[] {
  const def = defOf(schema);
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([k, v]) => envSettings(v, [...path, k]));
  }
  if (WRAPPERS.has(def.type) && def.innerType) return envSettings(def.innerType, path);
  if (def.type === 'pipe' && def.in) return envSettings(def.in, path);
  return [{ path, env: envName(path), kind: def.type }];
}

/** Turn an environment string into the value the schema expects for a leaf of `kind`. */
function coerce(kind: string, raw: string): unknown {
  const trimmed = raw.trim();
  switch (kind) {
    case 'number':
      return trimmed === '' ? raw : Number(trimmed);
    case 'boolean':
      return /^(true|1|yes)$/i.test(trimmed) ? true : /^(false|0|no)$/i.test(trimmed) ? false : raw;
    case 'union': // durations and sizes: a bare number means ms or bytes
      return /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
    case 'array':
      // A JSON array for lists of objects; otherwise comma-separated strings.
      if (trimmed.startsWith('[')) {
        try {
          return JSON.parse(trimmed) as unknown;
        } catch {
          return raw;
        }
      }
      return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
    default:
      return raw;
  }
}

/**
 * Overlay the environment on a raw config object (in place). Returns which paths came from
 * which variable, so an error can name the variable rather than the file.
 */
export function applyEnv(
  raw: Record<string, unknown>,
  settings: readonly EnvSetting[],
  env: NodeJS.ProcessEnv,
): Map<string, string> {
  const from = new Map<string, string>();
  for (const s of settings) {
    const value = env[s.env];
    if (value === undefined) continue;
    let node = raw;
    for (const key of s.path.slice(0, -1)) {
      const next = node[key];
      node = (next !== null && typeof next === 'object' ? next : (node[key] = {})) as Record<string, unknown>;
    }
    node[s.path[s.path.length - 1]!] = coerce(s.kind, value);
    from.set(s.path.join('.'), s.env);
  }
  return from;
}
