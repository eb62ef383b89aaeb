/**
 * The inventory a running hub reads, replaceable without a restart (docs/operations.md, "Reloading
 * the inventory"). Every stage is handed {@link LiveInventory.view}: an object with the shape of an
 * {@link Inventory} whose every property and method is the current inventory's, so the stages keep
 * their `Inventory` type and need no change to see a reload. `replace()` swaps one reference: each
 * lookup sees the old inventory or the new one, never a mix within one call.
 *
 * A stage that does several lookups across awaits (a KPI computation) may see the replacement
 * between two of them; the next computation sees only the new one.
 */
import { createHash } from 'node:crypto';
import type { Inventory } from './inventory.ts';

/** Holds the current inventory and a view that always reads it. */
export class LiveInventory {
  #current: Inventory;
  /** What the stages are given (see the file comment). */
  readonly view: Inventory;

  constructor(initial: Inventory) {
    this.#current = initial;
    // The view's own target is an empty object of the inventory's prototype (`instanceof` holds; no
    // own property whose proxy invariants a frozen inventory would impose); every read goes to the
    // current inventory, and methods are bound to it so its private state is theirs.
    const target = Object.create(Object.getPrototypeOf(initial) as object) as Inventory;
    this.view = new Proxy(target, {
      get: (_target, key) => {
        const current = this.#current;
        const value: unknown = Reflect.get(current, key, current);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
      },
      has: (_target, key) => Reflect.has(this.#current, key),
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
  }

  /** The inventory in force. */
  get current(): Inventory {
    return this.#current;
  }

  /** Put `next` in force for every later lookup through the view. */
  replace(next: Inventory): void {
    this.#current = next;
  }
}

/** What `POST /api/v1/admin/reload` and the SIGHUP log say about an inventory (docs/contract.md §6). */
export interface InventorySummary {
  /** sha256 (hex, first 16 digits) of the inventory as loaded: changes whenever its content does. */
  hash: string;
  sites: number;
  gateways: number;
  devices: number;
}

/** What a reload that passed did. */
export interface ReloadResult {
  reloaded: true;
  inventory: InventorySummary;
  /** Gateways no longer in the inventory (or moved to another site) whose connections were closed. */
  disconnected: string[];
}

/** Counts and a content hash of `inventory`. */
export function summarise(inventory: Inventory): InventorySummary {
  let gateways = 0;
  let devices = 0;
  for (const site of inventory.sites) {
    gateways += site.gateways.length;
    for (const gw of site.gateways) devices += gw.devices.length;
  }
  // Everything the loader produced that is data (rosters or other additions included).
  const hash = createHash('sha256').update(JSON.stringify(inventory)).digest('hex').slice(0, 16);
  return { hash, sites: inventory.sites.length, gateways, devices };
}
