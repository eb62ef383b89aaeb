/**
 * The items the simulator sends, each carrying its ground truth: MQTT messages (topic and payload
 * as docs/contract.md §2 wants them) with, for every element, whether the hub must store it or
 * dead-letter it and why; and connection controls (connect, connection lost, clean close).
 */
import type { Element } from './elements.ts';
import { channelOf } from './elements.ts';
import { encode, type ElementFault } from './encode.ts';
import type { DeviceState, GatewayState } from './world.ts';

/** Which injected fault produced a message (for the ledger and the summary). */
export type FaultName =
  | 'malformed'
  | 'duplicate'
  | 'replay'
  | 'out_of_order'
  | 'clock_skew'
  | 'too_old'
  | 'unknown_device'
  | 'bad_status'
  | 'late_batch';

/** A dead-letter note the hub must write (DeadLetter `rejects`: reason, and index within an array). */
export interface ExpectedReject {
  reason: string;
  index?: number;
}

/** One element of a message and whether the hub must store it. */
export interface ElementTruth {
  site: string;
  device: string;
  type: 'waste-bin' | 'access-gate';
  model: string;
  /** As sent: its `ms` is the time written in the payload. */
  element: Element;
  valid: boolean;
}

/** An MQTT message to publish. */
export interface Message {
  type: 'message';
  /** Order of creation; ties in `at` are published in `seq` order. */
  seq: number;
  /** Simulated time at which it is published. */
  at: number;
  site: string;
  gateway: string;
  device?: string;
  channel: 'telemetry' | 'event' | 'status';
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  /** The element kind, `batch` for an array, or `status`. */
  kind: string;
  fault?: FaultName;
  elements: ElementTruth[];
  rejects: ExpectedReject[];
}

/** A change of a gateway's connection. */
export interface Control {
  type: 'connect' | 'drop' | 'close';
  seq: number;
  at: number;
  site: string;
  gateway: string;
}

/** What the stream yields. */
export type Item = Message | Control;

/** An element on its way to a message, with the fault planned for it. */
export interface Draft {
  device: DeviceState;
  element: Element;
  fault?: ElementFault | 'clock_skew' | 'too_old';
}

/** A message-level fault: the whole payload is unreadable. */
export type PayloadFault = 'bad_json' | 'empty_payload';

/** Builds messages with topics under the scenario's root (docs/contract.md §2). */
export class MessageFactory {
  private seq = 0;

  private readonly root: string;
  private readonly telemetryQos: 0 | 1;

  constructor(root: string, telemetryQos: 0 | 1) {
    this.root = root;
    this.telemetryQos = telemetryQos;
  }

  /** The next sequence number. */
  next(): number {
    return this.seq++;
  }

  /** A connection change of a gateway. */
  control(type: Control['type'], gs: GatewayState, at: number): Control {
    return { type, seq: this.next(), at, site: gs.site.site.id, gateway: gs.gw.id };
  }

  /** A status message (`online`/`offline` retained, or anything else: a `bad_status` dead letter). */
  status(gs: GatewayState, at: number, payload: string, retain = true): Message {
    const site = gs.site.site.id;
    const ok = payload === 'online' || payload === 'offline';
    return {
      type: 'message',
      seq: this.next(),
      at,
      site,
      gateway: gs.gw.id,
      channel: 'status',
      topic: `${this.root}/${site}/${gs.gw.id}/status`,
      payload,
      qos: 1,
      retain,
      kind: 'status',
      ...(ok ? {} : { fault: 'bad_status' as const }),
      elements: [],
      rejects: ok ? [] : [{ reason: 'bad_status' }],
    };
  }

  /** One element in its own message; `payloadFault` makes the whole payload unreadable. */
  single(draft: Draft, at: number, payloadFault?: PayloadFault, fault?: FaultName): Message {
    const { value, truth, reason } = this.encodeDraft(draft);
    let payload = JSON.stringify(value);
    let rejects = reason ? [{ reason }] : [];
    if (payloadFault) {
      // A truncated object is never valid JSON; an empty payload is its own reason (devices/README.md).
      payload = payloadFault === 'bad_json' ? payload.slice(0, Math.max(1, Math.floor(payload.length * 0.6))) : '';
      rejects = [{ reason: payloadFault }];
      truth.valid = false;
    }
    const fault2 =
      fault ??
      (payloadFault || draft.fault === 'schema' || draft.fault === 'unknown_event_code' ? 'malformed' : draft.fault);
    return this.message(
      draft.device,
      channelOf(draft.element),
      at,
      payload,
      draft.element.kind,
      [truth],
      rejects,
      fault2,
    );
  }

  /** A JSON array of elements of one device and channel (a late batch); a bad element rejects only itself. */
  batch(drafts: Draft[], at: number): Message {
    const values: unknown[] = [];
    const truths: ElementTruth[] = [];
    const rejects: ExpectedReject[] = [];
    drafts.forEach((d, index) => {
      const { value, truth, reason } = this.encodeDraft(d);
      values.push(value);
      truths.push(truth);
      if (reason) rejects.push({ reason, index });
    });
    const first = drafts[0]!;
    return this.message(
      first.device,
      channelOf(first.element),
      at,
      JSON.stringify(values),
      'batch',
      truths,
      rejects,
      'late_batch',
    );
  }

  /** A reading from a device the inventory does not place behind this gateway: `unknown_device`. */
  ghost(gs: GatewayState, device: string, at: number, payload: string): Message {
    const site = gs.site.site.id;
    return {
      type: 'message',
      seq: this.next(),
      at,
      site,
      gateway: gs.gw.id,
      device,
      channel: 'telemetry',
      topic: `${this.root}/${site}/${gs.gw.id}/${device}/telemetry`,
      payload,
      qos: 1,
      retain: false,
      kind: 'bin_reading',
      fault: 'unknown_device',
      elements: [],
      rejects: [{ reason: 'unknown_device' }],
    };
  }

  /** The same message again (a duplicate or a replay): same topic and payload, so the same points. */
  again(m: Message, at: number, fault: FaultName): Message {
    return { ...m, seq: this.next(), at, fault, elements: m.elements.map((e) => ({ ...e })) };
  }

  private encodeDraft(d: Draft): { value: Record<string, unknown>; truth: ElementTruth; reason?: string } {
    const dev = d.device.dev;
    const elementFault = d.fault === 'schema' || d.fault === 'unknown_event_code' ? d.fault : undefined;
    const { value, reason } = encode(
      { type: dev.type, model: dev.model, timezone: d.device.site.site.timezone },
      d.element,
      elementFault,
    );
    const timeReason = d.fault === 'clock_skew' || d.fault === 'too_old' ? d.fault : undefined;
    const why = reason ?? timeReason;
    const truth: ElementTruth = {
      site: dev.site,
      device: dev.id,
      type: dev.type,
      model: dev.model,
      element: d.element,
      valid: why === undefined,
    };
    return why === undefined ? { value, truth } : { value, truth, reason: why };
  }

  private message(
    ds: DeviceState,
    channel: 'telemetry' | 'event',
    at: number,
    payload: string,
    kind: string,
    elements: ElementTruth[],
    rejects: ExpectedReject[],
    fault?: FaultName,
  ): Message {
    const { site, gateway, id } = ds.dev;
    return {
      type: 'message',
      seq: this.next(),
      at,
      site,
      gateway,
      device: id,
      channel,
      topic: `${this.root}/${site}/${gateway}/${id}/${channel}`,
      payload,
      qos: channel === 'telemetry' ? this.telemetryQos : 1,
      retain: false,
      kind,
      ...(fault ? { fault } : {}),
      elements,
      rejects,
    };
  }
}
