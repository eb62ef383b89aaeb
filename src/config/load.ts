/**
 * Load hub.yaml (plus the environment) and the inventory once, validate both with zod, and
 * freeze them. Every error names the file (or variable), the path inside it and what is wrong
 * (docs/contract.md §1: "Nothing starts half-configured").
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { HubError, type ErrorCode } from '../errors.ts';
import { applyEnv, envSettings } from './env.ts';
import { createPseudonymiser } from '../pseudonym.ts';
import { Inventory, deepFreeze, inventorySchema, type InventoryData } from './inventory.ts';
import { parseRoster, type Roster } from './roster.ts';
import { configSchema, type HubConfig } from './schema.ts';

/** The config file used when neither `--config` nor `HUB_CONFIG` names one (and it exists). */
export const DEFAULT_CONFIG_PATH = 'config/hub.yaml';
/** Config paths that hold file names, resolved against the config file's folder. */
const PATH_KEYS = ['inventory', 'dataDir', 'mqtt.tlsCertFile', 'mqtt.tlsKeyFile', 'mqtt.tlsCaFile'] as const;

/** What `loadConfig` returns: both files validated and frozen. */
export interface Loaded {
  config: HubConfig;
  /** Absolute path of the config file, or undefined when running on defaults and environment. */
  configPath: string | undefined;
  inventory: Inventory;
  /**
   * Loads and validates the inventory again exactly as this load did (same file, same checks, and
   * whatever the inventory names comes along): what a reload of the running hub calls.
   */
  reloadInventory?: () => Inventory;
}

export interface LoadOptions {
  /** `--config`; falls back to `HUB_CONFIG`, then `config/hub.yaml` if present. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Load and validate config and inventory; throws a HubError whose message is for a person. */
export function loadConfig(options: LoadOptions = {}): Loaded {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const config = loadHubConfig(options.configPath, env, cwd);
  // Rosters are pseudonymised with the hub's key as they load, so a reload needs it too.
  const reloadInventory = (): Inventory =>
    loadInventory(config.config.inventory, cwd, { pseudonymKey: config.config.pseudonymKey });
  return { ...config, inventory: reloadInventory(), reloadInventory };
}

function loadHubConfig(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Omit<Loaded, 'inventory'> {
  const named = explicit ?? env.HUB_CONFIG;
  let configPath: string | undefined;
  if (named !== undefined) configPath = resolve(cwd, named);
  else if (existsSync(resolve(cwd, DEFAULT_CONFIG_PATH))) configPath = resolve(cwd, DEFAULT_CONFIG_PATH);

  const raw = configPath ? readYaml(configPath, cwd, 'HUB_ERR_CONFIG_INVALID') : {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HubError(
      'HUB_ERR_CONFIG_INVALID',
      `${show(configPath!, cwd)}: the file must hold a YAML mapping of settings`,
    );
  }
  const fromEnv = applyEnv(raw as Record<string, unknown>, envSettings(configSchema), env);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new HubError(
      'HUB_ERR_CONFIG_INVALID',
      describe(
        configPath ? show(configPath, cwd) : 'configuration (no config file; defaults and environment)',
        parsed.error,
        fromEnv,
      ),
    );
  }
  const base = configPath ? dirname(configPath) : cwd;
  const config = parsed.data as Record<string, unknown>;
  for (const key of PATH_KEYS) resolvePath(config, key, fromEnv.has(key) ? cwd : base);
  return { config: deepFreeze(config) as HubConfig, configPath };
}

/** Options of {@link loadInventory}. */
export interface InventoryOptions {
  /**
   * The hub's `pseudonymKey`: roster households are pseudonymised with it as they load (the raw
   * ids are not kept). Required when a site names a roster.
   */
  pseudonymKey?: string;
}

/**
 * Load and validate the inventory file alone, with the roster files its sites name (so a reload
 * of the inventory reloads the rosters too).
 */
export function loadInventory(path: string, cwd = process.cwd(), options: InventoryOptions = {}): Inventory {
  const file = resolve(cwd, path);
  const raw = readYaml(file, cwd, 'HUB_ERR_INVENTORY_INVALID');
  const parsed = inventorySchema.safeParse(raw);
  if (!parsed.success)
    throw new HubError('HUB_ERR_INVENTORY_INVALID', describe(show(file, cwd), parsed.error, new Map()));
  return new Inventory(parsed.data, loadRosters(parsed.data, file, cwd, options));
}

/** The rosters of the sites that name one, checked against the inventory (docs/contract.md §1). */
function loadRosters(data: InventoryData, file: string, cwd: string, options: InventoryOptions): Map<string, Roster> {
  const rosters = new Map<string, Roster>();
  const problems: string[] = [];
  data.sites.forEach((site, si) => {
    if (site.roster === undefined) return;
    const at = `sites.${si}.roster`;
    if (options.pseudonymKey === undefined) {
      throw new HubError('HUB_ERR_CONFIG_INVALID', `${show(file, cwd)}: ${at}: a roster needs the pseudonym key`);
    }
    const path = resolve(dirname(file), site.roster);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      throw new HubError(
        'HUB_ERR_INVENTORY_INVALID',
        `${show(file, cwd)}: ${at}: cannot read the roster ${show(path, cwd)} (${reason})`,
        { cause: e },
      );
    }
    const out = parseRoster(site.roster, text, createPseudonymiser(options.pseudonymKey));
    if (!out.roster) {
      for (const i of out.issues) problems.push(`  - ${show(path, cwd)}:${i.line}: ${i.message}`);
      return;
    }
    const r = out.roster;
    const where = `${at} (${show(path, cwd)})`;
    if (site.households !== undefined && site.households !== r.households.size)
      problems.push(
        `  - sites.${si}.households: ${site.households}, but ${where} lists ${r.households.size} households`,
      );
    const listed = new Set(site.buildings?.map((b) => b.id));
    site.buildings?.forEach((b, bi) => {
      const n = r.buildings.get(b.id) ?? 0;
      if (b.households !== undefined && b.households !== n)
        problems.push(`  - sites.${si}.buildings.${bi}.households: ${b.households}, but ${where} lists ${n}`);
    });
    if (site.buildings) {
      // A roster building the site does not list is a typo until proven otherwise: refused.
      for (const b of r.buildings.keys())
        if (!listed.has(b))
          problems.push(
            `  - ${where}: building "${b}" is not listed under the site's buildings (list it, or leave ` +
              'buildings out to take them from the roster)',
          );
    } else {
      site.gateways.forEach((gw, gi) =>
        gw.devices.forEach((d, di) => {
          if (d.building !== undefined && !r.buildings.has(d.building))
            problems.push(
              `  - sites.${si}.gateways.${gi}.devices.${di}.building: building "${d.building}" has no household ` +
                `in ${where}`,
            );
        }),
      );
    }
    rosters.set(site.id, r);
  });
  if (problems.length > 0)
    throw new HubError('HUB_ERR_INVENTORY_INVALID', `${show(file, cwd)} is invalid:\n${problems.join('\n')}`);
  return rosters;
}

function readYaml(file: string, cwd: string, code: ErrorCode): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new HubError('HUB_ERR_CONFIG_NOT_FOUND', `${show(file, cwd)}: cannot read the file (${reason})`, {
      cause: e,
    });
  }
  // An unknown tag (`!custom`, a misspelt `!!float`) is refused like a syntax error: read as a
  // plain string it would reach the settings with a meaning nobody wrote (found by the config fuzzer).
  const doc = parseDocument(text, { logLevel: 'silent' });
  const err = doc.errors[0] ?? doc.warnings[0];
  if (err) {
    const pos = err.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : '';
    throw new HubError(code, `${show(file, cwd)}${at}: YAML syntax error: ${err.message.split('\n')[0]}`);
  }
  try {
    return doc.toJS() ?? {};
  } catch (e) {
    // Parsing succeeded but building the values did not: the yaml package refuses aliases that
    // expand without bound ("billion laughs") this way; found by test/fuzz/config.test.ts.
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new HubError(code, `${show(file, cwd)}: YAML cannot be read: ${message}`, { cause: e });
  }
}

/** One line per issue: `file: path.inside: what is wrong`. */
function describe(source: string, error: z.ZodError, fromEnv: Map<string, string>): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.map(String).join('.') || '(top level)';
    const variable = fromEnv.get(path);
    const where = variable ? `${path} (from environment variable ${variable})` : path;
    const unknownKeys =
      issue.code === 'unrecognized_keys' ? `: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}` : '';
    return `  - ${where}: ${unknownKeys ? unknownKeys.slice(2) : issue.message}`;
  });
  return `${source} is invalid:\n${lines.join('\n')}`;
}

function resolvePath(config: Record<string, unknown>, dotted: string, base: string): void {
  const keys = dotted.split('.');
  let node: Record<string, unknown> = config;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  const value = node[last];
  if (typeof value === 'string' && !isAbsolute(value)) node[last] = resolve(base, value);
}

/** A path as a person would type it from where they stand. */
function show(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') ? rel : file;
}
