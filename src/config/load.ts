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
import { Inventory, deepFreeze, inventorySchema } from './inventory.ts';
import { configSchema, type HubConfig } from './schema.ts';

/** The config file used when neither `--config` nor `HUB_CONFIG` names one (and it exists). */
export const DEFAULT_CONFIG_PATH = 'config/hub.yaml';
/** Config paths that hold file names, resolved against the config file's folder. */
const PATH_KEYS = ['inventory', 'dataDir', 'mqtt.tlsCertFile', 'mqtt.tlsKeyFile'] as const;

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
  const reloadInventory = (): Inventory => loadInventory(config.config.inventory, cwd);
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

/** Load and validate the inventory file alone. */
export function loadInventory(path: string, cwd = process.cwd()): Inventory {
  const file = resolve(cwd, path);
  const raw = readYaml(file, cwd, 'HUB_ERR_INVENTORY_INVALID');
  const parsed = inventorySchema.safeParse(raw);
  if (!parsed.success)
    throw new HubError('HUB_ERR_INVENTORY_INVALID', describe(show(file, cwd), parsed.error, new Map()));
  return new Inventory(parsed.data);
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
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const at = pos ? `:${pos.line}:${pos.col}` : '';
    throw new HubError(code, `${show(file, cwd)}${at}: YAML syntax error: ${err.message.split('\n')[0]}`);
  }
  return doc.toJS() ?? {};
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
