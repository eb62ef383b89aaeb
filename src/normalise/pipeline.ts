/**
 * The ingest pipeline (architecture.md "normalise"): payload bytes of one device message → points
 * for the store, and rejects for the dead-letter store. It never throws for a payload: one bad
 * message, or one bad element of an array, never breaks the pipeline (docs/contract.md §2 and §3;
 * zigbee2mqtt's receive.ts wraps every converter call the same way).
 *
 * Order of checks: size → UTF-8/JSON → per element: model (schema, codes) → time rules → points.
 */
import type { DeviceInfo } from '../config/inventory.ts';
import type { Point } from '../point.ts';
import { decodePayload } from './decode.ts';
import { toPoints } from './points.ts';
import { createPseudonymiser, householdPseudonymiser } from './pseudonym.ts';
import { ArrivalStamps, slotNs, type Stamp } from './stamp.ts';
import { applyTimeRules, DEFAULT_TIME_RULES, type TimeRules } from './time.ts';
import type { Channel, ModelContext, ModelResult } from './model.ts';
import type { Reject } from './reasons.ts';
import type { ModelLookup } from './registry.ts';

/** Defaults of the tunable options, in one place. */
export const DEFAULT_NORMALISER_OPTIONS = Object.freeze({
  ...DEFAULT_TIME_RULES,
  /** 256 KiB: room for a gateway's backlog of a few thousand readings in one array. */
  maxPayloadBytes: 256 * 1024,
});

/** Options of `createNormaliser`. */
export interface NormaliserOptions extends Partial<TimeRules> {
  /** Where models are looked up (the registry). */
  models: ModelLookup;
  /** The pseudonym key (HUB_PSEUDONYM_KEY), at least 16 bytes. */
  pseudonymKey: string | Buffer;
  /** Largest payload accepted, in bytes; larger ones are `oversized`. */
  maxPayloadBytes?: number;
  /** The hub's clock, epoch ms; `Date.now` by default (tests fix it). */
  now?: () => number;
}

/** One message from a device, as the broker or HTTP ingest received it. */
export interface NormaliseInput {
  site: string;
  gateway: string;
  device: DeviceInfo;
  channel: Channel;
  payload: Buffer;
  /** When the hub received it, epoch ms: where a reading without time is stamped (stamp.ts). */
  receivedAt: number;
  /**
   * The arrival slots reserved when the message first came (a replay passes the dead letter's, so
   * its readings land where a first success would have put them); absent: reserve new ones.
   */
  stamp?: Stamp;
  /** The time the time rules judge against (default the hub's clock); a replay passes `receivedAt`. */
  clock?: number;
  /** Normalise only these element indexes of an array payload (a replay of element rejects). */
  only?: ReadonlySet<number>;
}

/** Points to store and rejects to dead-letter; both may be non-empty for an array. */
export interface NormaliseResult {
  points: Point[];
  rejects: Reject[];
  /** The message's arrival slots (stamp.ts), once its payload decoded: keep them with its dead letter. */
  stamp?: Stamp;
}

/** A configured pipeline. */
export interface Normaliser {
  /** Normalise one message. Never throws for anything a payload or a model can do. */
  normalise(input: NormaliseInput): NormaliseResult;
}

/** Build a pipeline. Throws `HUB_ERR_CONFIG_INVALID` for a pseudonym key that is too short. */
export function createNormaliser(options: NormaliserOptions): Normaliser {
  const rules: TimeRules = {
    maxFutureSkewMs: options.maxFutureSkewMs ?? DEFAULT_NORMALISER_OPTIONS.maxFutureSkewMs,
    maxAgeMs: options.maxAgeMs ?? DEFAULT_NORMALISER_OPTIONS.maxAgeMs,
  };
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_NORMALISER_OPTIONS.maxPayloadBytes;
  const now = options.now ?? Date.now;
  const pseudonymise = createPseudonymiser(options.pseudonymKey);
  const ctx: ModelContext = Object.freeze({ pseudonymise, household: householdPseudonymiser(pseudonymise) });
  // One sequence per device: a device's readings without time never share a key (stamp.ts).
  const stamps = new ArrivalStamps(1);

  /** One element → its points, or why not. */
  function normaliseElement(
    input: NormaliseInput,
    element: unknown,
    index: number,
    clock: number,
    stamp: Stamp,
  ): Point[] | Omit<Reject, 'index' | 'element'> {
    const model = options.models.get(input.device.type, input.device.model);
    // checkInventoryModels makes this unreachable after start-up; never crash if it is reached.
    if (!model)
      return {
        reason: 'normaliser_error',
        detail: `no model ${input.device.type}/${input.device.model} is registered`,
      };
    const name = `${model.type}/${model.model}`;
    let result: ModelResult;
    try {
      result = model.normalise(input.channel, element, ctx);
    } catch (e) {
      return { reason: 'normaliser_error', detail: `${name} threw: ${errorText(e)}` };
    }
    if (!result.ok) return { reason: result.reason, detail: result.detail };
    const { value } = result;
    if (value.eventId !== undefined && value.timeMs === undefined) {
      // docs/contract.md §4: events land at their event time, so an event without one is refused.
      return { reason: 'schema', detail: `${input.channel}: an event needs its time` };
    }
    if (value.timeMs !== undefined && !Number.isFinite(value.timeMs)) {
      return { reason: 'normaliser_error', detail: `${name} returned a time that is not a finite number` };
    }
    const time = applyTimeRules(value.timeMs, input.receivedAt, clock, rules);
    if (!time.ok) return { reason: time.reason, detail: time.detail };
    // The input has the origin's fields (site, gateway, device): no object of its own per element.
    const built = toPoints(value, time.ms, input, time.stamped ? slotNs(stamp, index) : undefined);
    if (typeof built === 'string')
      return { reason: 'normaliser_error', detail: `${name} returned an invalid point: ${built}` };
    return built;
  }

  function normalise(input: NormaliseInput): NormaliseResult {
    const decoded = decodePayload(input.payload, maxPayloadBytes);
    if (!decoded.ok) return { points: [], rejects: [decoded.reject] };
    const points: Point[] = [];
    const rejects: Reject[] = [];
    const clock = input.clock ?? now();
    // Reserved for every decoded message, used or not, so a replay finds the same slots.
    const stamp =
      input.stamp ?? stamps.reserve(`${input.site}\u0000${input.device.id}`, input.receivedAt, decoded.elements.length);
    const { elements } = decoded;
    // Only an array can repeat a heartbeat (events sharing a millisecond): no set for one element.
    const heartbeats = elements.length > 1 ? new Set<string>() : undefined;
    for (let index = 0; index < elements.length; index++) {
      if (input.only && !input.only.has(index)) continue;
      const element = elements[index];
      let out: Point[] | Omit<Reject, 'index' | 'element'>;
      try {
        out = normaliseElement(input, element, index, clock, stamp);
      } catch (e) {
        // A model's drafts so malformed that building points threw: still the model's bug.
        out = { reason: 'normaliser_error', detail: `building points failed: ${errorText(e)}` };
      }
      if (!Array.isArray(out)) rejects.push(decoded.isArray ? { ...out, index, element } : out);
      else for (const p of out) if (!heartbeats || !isRepeatedHeartbeat(p, heartbeats)) points.push(p);
    }
    return { points, rejects, stamp };
  }

  return { normalise };
}

/**
 * The reject for a message whose topic names a device the inventory does not place behind that
 * gateway at that site: for the broker and HTTP ingest, which have no DeviceInfo to normalise with.
 */
export function unknownDeviceReject(site: string, gateway: string, device: string): Reject {
  return {
    reason: 'unknown_device',
    detail: `site ${site}, gateway ${gateway}: the inventory has no device "${device}" behind this gateway`,
  };
}

/**
 * True for a heartbeat-only `device_health` point at a time already seen in this message (events of
 * an array that share a millisecond): writing it again would change nothing.
 */
function isRepeatedHeartbeat(p: Point, seen: Set<string>): boolean {
  if (p.measurement !== 'device_health') return false;
  if (p.fields.heartbeat !== true) return false;
  for (const k in p.fields) if (k !== 'heartbeat') return false;
  if (seen.has(p.time)) return true;
  seen.add(p.time);
  return false;
}

function errorText(e: unknown): string {
  try {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } catch {
    return 'a value that cannot be printed';
  }
}
