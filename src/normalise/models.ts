/**
 * The device models as a component of the hub (docs/architecture.md, "Lifecycle"): `start()`
 * loads every model under devices/ and checks that each inventory device names a known one, so the
 * hub refuses to run half-configured (docs/contract.md §1). An inventory reload is checked the same
 * way ({@link DeviceModels.check}) before it replaces the running one.
 */
import type { Inventory } from '../config/inventory.ts';
import { HubError } from '../errors.ts';
import type { Component } from '../lifecycle.ts';
import { checkInventoryModels, loadRegistry, type ModelLookup, type ModelRegistry } from './registry.ts';

export interface DeviceModelsOptions {
  /** The inventory checked at start. */
  inventory: Inventory;
  /** Wraps the registry the normalisers use (tests swap a model for a double); the registry by default. */
  wrap?: (registry: ModelLookup) => ModelLookup;
  /** Where the model folders are (default devices/). */
  devicesDir?: string;
}

/** See the file comment. */
export class DeviceModels implements Component {
  readonly name = 'device models';
  readonly #o: DeviceModelsOptions;
  #registry: ModelRegistry | undefined;

  constructor(options: DeviceModelsOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    this.#registry = await loadRegistry(this.#o.devicesDir);
    this.check(this.#o.inventory);
  }

  stop(): void {}

  /** Throws `HUB_ERR_UNKNOWN_MODEL` naming every inventory device whose model is not known. */
  check(inventory: Inventory): void {
    checkInventoryModels(inventory, this.#loaded());
  }

  /** What the normalisers look models up in. */
  lookup(): ModelLookup {
    const registry = this.#loaded();
    return this.#o.wrap ? this.#o.wrap(registry) : registry;
  }

  /** How many models were loaded (0 before the start). */
  count(): number {
    return this.#registry?.list().length ?? 0;
  }

  #loaded(): ModelRegistry {
    if (!this.#registry) throw new HubError('HUB_ERR_INTERNAL', 'the device models are not loaded yet');
    return this.#registry;
  }
}
