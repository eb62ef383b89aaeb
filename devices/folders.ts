/**
 * Where the device models are: one folder `devices/<type>/<model>/` per payload format
 * (docs/contract.md §3). Both the hub's registry (src/normalise/registry.ts, which imports each
 * folder's `index.ts`) and the simulator (simulators/models.ts, which imports each folder's
 * `sim.ts`) find the folders here, so adding a model is adding a folder. This file walks folders
 * only: it holds no normalising or simulating logic, so the simulator's ground truth stays
 * independent of the hub's code.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `devices/` of this package, resolved from this file, not from the working directory. */
export const DEVICES_DIR = fileURLToPath(new URL('./', import.meta.url));

/** Folder names a model may have (the inventory's `model` rule, docs/contract.md §1). */
export const MODEL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** One model folder. */
export interface ModelFolder {
  /** The type folder's name (a device type when the folder is valid). */
  type: string;
  /** The model folder's name (the inventory's `model`). */
  model: string;
  /** Absolute path of the folder. */
  dir: string;
}

/** The `<type>/<model>` folders under `devicesDir`, sorted. Files (this one, README.md) are ignored. */
export function findModelFolders(devicesDir: string = DEVICES_DIR): ModelFolder[] {
  const out: ModelFolder[] = [];
  for (const type of readdirSync(devicesDir).sort()) {
    const typeDir = join(devicesDir, type);
    if (!statSync(typeDir).isDirectory()) continue;
    for (const model of readdirSync(typeDir).sort()) {
      const dir = join(typeDir, model);
      if (statSync(dir).isDirectory()) out.push({ type, model, dir });
    }
  }
  return out;
}
