/**
 * The simulator's device models: every folder `devices/<type>/<model>/` (devices/folders.ts, the
 * same walk as the hub's registry) with a `sim.ts` that default-exports a SimModel (model.ts).
 * They are imported once, when this module loads, so the scenario schema can check a device's
 * `model` synchronously; adding a model folder needs no change here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEVICES_DIR, findModelFolders, MODEL_NAME } from '../devices/folders.ts';
import type { SimModel } from './model.ts';

/** The device types the simulator models (docs/contract.md §1). */
export const SIM_DEVICE_TYPES = ['waste-bin', 'access-gate'] as const;
/** A device type. */
export type SimDeviceType = (typeof SIM_DEVICE_TYPES)[number];

/** A model folder the simulator cannot use, and why. */
class SimModelError extends Error {
  override name = 'SimModelError';
}

/** The simulator models found under `devices/`. */
export class SimModels {
  private readonly byKey = new Map<string, SimModel>();
  private readonly missing: ReadonlySet<string>;

  /** `missing`: `type/model` folders that have no sim.ts (the hub may read them; the simulator cannot write them). */
  constructor(models: readonly SimModel[], missing: ReadonlySet<string> = new Set()) {
    this.missing = missing;
    for (const m of models) {
      const key = `${m.type}/${m.model}`;
      if (this.byKey.has(key)) throw new SimModelError(`two simulator models are named ${key}`);
      this.byKey.set(key, m);
    }
  }

  /** The model `model` of device type `type`, or undefined. */
  get(type: string, model: string): SimModel | undefined {
    return this.byKey.get(`${type}/${model}`);
  }

  /** The model, or a TypeError (a scenario names only known models: the schema checks). */
  require(type: string, model: string): SimModel {
    const m = this.get(type, model);
    if (!m) throw new TypeError(this.unknown(type, model));
    return m;
  }

  /** Model names of one device type, sorted. */
  modelsOf(type: string): string[] {
    return [...this.byKey.values()]
      .filter((m) => m.type === type)
      .map((m) => m.model)
      .sort();
  }

  /** Every `type/model`, sorted. */
  keys(): string[] {
    return [...this.byKey.keys()].sort();
  }

  /** Why `type`/`model` is not a model the simulator can speak, for a person. */
  unknown(type: string, model: string): string {
    const known = this.modelsOf(type);
    const list = `${type} models the simulator knows: ${known.length ? known.join(', ') : 'none'}`;
    if (this.missing.has(`${type}/${model}`))
      return `devices/${type}/${model}/ has no sim.ts, so the simulator cannot speak "${model}" (${list})`;
    return `unknown ${type} model "${model}" (${list}; each is a folder devices/${type}/<model>/ with a sim.ts)`;
  }
}

/**
 * Import the `sim.ts` of every model folder and check it: a known device type, a valid model name,
 * a default export shaped like a SimModel whose `type` and `model` equal its folders. A folder
 * without sim.ts is remembered, not an error (test/devices/shape.test.ts insists on one for every
 * shipped model). A broken sim.ts throws, naming the folder.
 */
export async function loadSimModels(devicesDir: string = DEVICES_DIR): Promise<SimModels> {
  const models: SimModel[] = [];
  const missing = new Set<string>();
  for (const { type, model, dir } of findModelFolders(devicesDir)) {
    const where = `devices/${type}/${model}`;
    const file = join(dir, 'sim.ts');
    if (!existsSync(file)) {
      missing.add(`${type}/${model}`);
      continue;
    }
    if (!(SIM_DEVICE_TYPES as readonly string[]).includes(type))
      throw new SimModelError(`${where}: "${type}" is not a device type (known: ${SIM_DEVICE_TYPES.join(', ')})`);
    if (!MODEL_NAME.test(model)) throw new SimModelError(`${where}: "${model}" is not a valid model name`);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (cause) {
      throw new SimModelError(`${where}/sim.ts failed to load: ${(cause as Error).message}`, { cause });
    }
    const m = mod.default;
    if (!isSimModel(m))
      throw new SimModelError(
        `${where}/sim.ts must default-export a SimModel {type, model, eventId, encode, unknownCodeKinds, breakPayload, vocabulary} (simulators/model.ts)`,
      );
    if (m.type !== type || m.model !== model)
      throw new SimModelError(`${where}/sim.ts exports ${m.type}/${m.model}; it must equal its folder`);
    models.push(m);
  }
  return new SimModels(models, missing);
}

function isSimModel(m: unknown): m is SimModel {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return (
    typeof o.type === 'string' &&
    typeof o.model === 'string' &&
    typeof o.eventId === 'function' &&
    typeof o.encode === 'function' &&
    typeof o.breakPayload === 'function' &&
    Array.isArray(o.unknownCodeKinds) &&
    typeof o.vocabulary === 'object' &&
    o.vocabulary !== null
  );
}

/** The models of this package's `devices/`, loaded once. */
export const SIM_MODELS: SimModels = await loadSimModels();

/**
 * The event id as the hub stores it (`event_id`, docs/contract.md §4) for the `id`-th event of a
 * device of `model` (each model writes it its own way: sim.ts `eventId`).
 */
export function eventIdOf(model: string, type: string, id: number): string {
  return SIM_MODELS.require(type, model).eventId(id);
}
