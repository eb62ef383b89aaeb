/**
 * Elements → payloads, through the device's model (`devices/<type>/<model>/sim.ts`, found by
 * models.ts; docs/contract.md §3), and the ways a payload can be broken on purpose. The hub's
 * models are not imported: each sim.ts speaks its vendor's format as a device would, so a mistake
 * in either side shows up.
 */
import type { Element } from './elements.ts';
import type { ElementFault } from './model.ts';
import { SIM_MODELS } from './models.ts';

export type { ElementFault } from './model.ts';

/** A device as the encoder needs it. */
export interface EncodeTarget {
  type: 'waste-bin' | 'access-gate';
  model: string;
  timezone: string;
}

/**
 * Encode one element. With `fault`, the payload is broken so the hub must refuse it with the
 * returned `reason`: `unknown_event_code` only where the model's payload has a code to get wrong
 * (its `unknownCodeKinds`), `schema` otherwise.
 */
export function encode(
  t: EncodeTarget,
  e: Element,
  fault?: ElementFault,
): { value: Record<string, unknown>; reason?: ElementFault } {
  const model = SIM_MODELS.require(t.type, t.model);
  const value = model.encode(e, t.timezone);
  if (!fault) return { value };
  const reason: ElementFault =
    fault === 'unknown_event_code' && model.unknownCodeKinds.includes(e.kind) ? fault : 'schema';
  model.breakPayload(e, value, reason);
  return { value, reason };
}
