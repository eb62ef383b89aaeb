/**
 * What the simulator needs to know about a device model, kept in the model's own folder as
 * `devices/<type>/<model>/sim.ts` (default export, found by simulators/models.ts), beside the hub's
 * `index.ts`. It writes elements in the vendor's payload as a device would (docs/contract.md §3),
 * breaks them on purpose, and says which values the device can express so the day's plan
 * (plan.ts) only makes what the model can say. A sim.ts must not import the hub's normaliser: the
 * simulator's ledger is an independent ground truth, so a mistake in either side shows up.
 */
import type { AccessMethod, BinAlarm, BinAuth, DenyReason, Element, GateAlarm, Subject } from './elements.ts';

/** How an element is broken on purpose, and the dead-letter reason the hub must give (docs/contract.md §3, "Rules"). */
export type ElementFault = 'schema' | 'unknown_event_code';

/** The kinds of element (elements.ts). */
export type ElementKind = Element['kind'];

/** Members every simulator model has. */
interface SimModelBase {
  /** The inventory's `model`, equal to the folder name. */
  model: string;
  /**
   * The event id as the hub stores it (`event_id`, docs/contract.md §4) for the device's `n`-th event,
   * written the same way into the payload by `encode` (e.g. `e-000123`, or `123` for a numeric id).
   */
  eventId(n: number): string;
  /**
   * One element (a reading or an event of this device type) as the JSON payload the device sends.
   * `timezone` is the site's IANA zone, for formats with local times. Throws for a kind the device
   * cannot report.
   */
  encode(e: Element, timezone: string): Record<string, unknown>;
  /** Kinds whose payload can carry an event code the hub does not know; the others break as `schema`. */
  unknownCodeKinds: readonly ElementKind[];
  /**
   * Break `value` (the output of `encode`, in place) so the hub refuses it with `reason`; `reason`
   * is `unknown_event_code` only for kinds in `unknownCodeKinds`.
   */
  breakPayload(e: Element, value: Record<string, unknown>, reason: ElementFault): void;
}

/**
 * What a waste-sorting station can say. Weights are relative; plan.ts draws with them in the
 * order the keys are written, so keep that order (determinism: same scenario, same messages).
 */
export interface BinVocabulary {
  /** How households identify themselves at a deposit. */
  auth: Readonly<Partial<Record<BinAuth, number>>>;
  /** Alarms other than `overflow` (raised by the fill level) and how often each comes. */
  alarms: Readonly<Partial<Record<Exclude<BinAlarm, 'overflow'>, number>>>;
}

/**
 * What a gate can say. plan.ts draws uniformly from each list, in its order (repeat an entry to
 * make it likelier); a list of one is taken without a draw. Keep the order (determinism).
 */
export interface GateVocabulary {
  /** Methods of a resident's pass. */
  residentMethods: readonly AccessMethod[];
  /** Reasons of a resident's refused pass, by method; a method not listed is refused without a reason. */
  residentDenyReasons: Readonly<Partial<Record<AccessMethod, readonly DenyReason[]>>>;
  /** Methods of a visitor's pass (always granted). */
  visitorMethods: readonly AccessMethod[];
  /** Who the gate says a visitor is (a controller that knows no visitors says `unknown`). */
  visitorSubject: Subject;
  /** Reasons a stranger's card is refused. */
  strangerReasons: readonly DenyReason[];
  /** Alarms, most frequent first (the first is drawn most often). */
  alarms: readonly GateAlarm[];
  /** Whether the gate reports card numbers (then card passes carry one, a credential id). */
  cardNumbers: boolean;
}

/** A waste-sorting station's simulator model. */
export interface BinSimModel extends SimModelBase {
  type: 'waste-bin';
  vocabulary: BinVocabulary;
}

/** An access gate's simulator model. */
export interface GateSimModel extends SimModelBase {
  type: 'access-gate';
  vocabulary: GateVocabulary;
}

/** The default export of `devices/<type>/<model>/sim.ts`. */
export type SimModel = BinSimModel | GateSimModel;
