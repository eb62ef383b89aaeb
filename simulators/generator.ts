/**
 * The message stream of a scenario: a generator that walks simulated time hour by hour, plans each
 * site's days as it reaches them (plan.ts), lets devices report (bin fill and emptying, readings,
 * deposits, passes, alarms), injects the faults, and yields items in publishing order.
 *
 * Deterministic: the output depends only on the scenario, its seed and the window's start, and
 * the draws only on days and times relative to that start, so moving the window by whole days
 * moves the times and nothing else. Memory stays bounded by one day's plan plus what is held back.
 */
import { CATEGORIES, type Element } from './elements.ts';
import { Agenda } from './heap.ts';
import { MessageFactory, type Draft, type Item, type Message, type PayloadFault } from './messages.ts';
import { planDay, type Action } from './plan.ts';
import { between, chance, int, stream, weighted, type Rng } from './random.ts';
import { MS, isoLocal, localDate, localHour, periodOf } from './time.ts';
import { buildWorld, fillPct, type DeviceState, type GatewayState, type SiteWorld, type World } from './world.ts';
import type { Scenario } from './scenario/load.ts';

/** The simulated window. */
export interface Window {
  startMs: number;
  /** Infinity to keep going (`run --follow`). */
  endMs: number;
}

type Planned = Action & { at: number; seq: number };
interface SiteRun {
  sw: SiteWorld;
  plannedUntil: number;
  faults: Rng;
  detail: Rng;
}

/** Yield every item of `scenario` over `window`, in publishing order (`at`, then `seq`). */
export function* generate(scenario: Scenario, window: Window): Generator<Item, void, undefined> {
  yield* new Stream(buildWorld(scenario), window).run();
}

class Stream {
  private readonly make: MessageFactory;
  private readonly agenda = new Agenda<Planned>();
  private readonly out = new Agenda<Item>();
  private readonly sites: SiteRun[];
  private readonly runOf = new Map<SiteWorld, SiteRun>();
  private readonly f;
  private ghosts = 0;
  /** Per gateway, as yielded so far: offline between `drop` and `connect`, and what waits. */
  private readonly yielded = new Map<string, { offline: boolean; held: Message[] }>();

  private readonly world: World;
  private readonly window: Window;

  constructor(world: World, window: Window) {
    this.world = world;
    this.window = window;
    const sc = world.scenario;
    this.make = new MessageFactory(sc.hub.rootTopic, sc.publish.telemetryQos);
    this.f = sc.faults;
    this.sites = world.sites.map((sw) => ({
      sw,
      plannedUntil: periodOf('day', window.startMs, sw.site.timezone).startMs,
      faults: stream(sc.seed, 'faults', sw.site.id),
      detail: stream(sc.seed, 'fault-detail', sw.site.id),
    }));
    for (const s of this.sites) this.runOf.set(s.sw, s);
  }

  *run(): Generator<Item, void, undefined> {
    const { startMs, endMs } = this.window;
    for (const gs of this.world.gateways) {
      this.out.push(this.make.control('connect', gs, startMs));
      this.out.push(this.make.status(gs, startMs, 'online'));
    }
    for (let hs = startMs; hs < endMs; hs += MS.hour) {
      const he = Math.min(hs + MS.hour, endMs);
      for (const s of this.sites) this.planUntil(s, he);
      const due: { at: number; seq: number; run: () => void }[] = [];
      for (const a of this.agenda.drain(he)) due.push({ at: a.at, seq: a.seq, run: () => this.act(a) });
      for (const d of this.world.devices) {
        const every = d.site.site.behaviour.telemetryEvery;
        const first = Math.ceil((hs - startMs - d.phaseMs) / every);
        for (let t = startMs + d.phaseMs + Math.max(0, first) * every; t < he; t += every) {
          if (t >= hs)
            due.push({ at: t, seq: Number.MAX_SAFE_INTEGER, run: () => this.emit(d, this.reading(d, t), t) });
        }
      }
      due.sort((x, y) => x.at - y.at || x.seq - y.seq);
      for (const d of due) d.run();
      yield* this.release(he);
    }
    // The end of a finite window: offline gateways come back, everything held back goes out, then
    // each gateway says `offline` and disconnects cleanly.
    for (const gs of this.world.gateways) if (gs.offlineUntil !== undefined) this.reconnect(gs, endMs);
    yield* this.release(Infinity);
    for (const gs of this.world.gateways) {
      this.out.push(this.make.status(gs, endMs, 'offline'));
      this.out.push(this.make.control('close', gs, endMs));
    }
    yield* this.release(Infinity);
  }

  /**
   * Items due before `limit`, in order. Between a gateway's `drop` and its `connect`, its messages
   * (held back or replayed ones that fall in the spell) wait and follow the `connect`: the
   * publisher never meets a message for a gateway that is offline.
   */
  private *release(limit: number): Generator<Item, void, undefined> {
    for (const item of this.out.drain(limit)) {
      const st = this.yielded.get(item.gateway) ?? { offline: false, held: [] };
      this.yielded.set(item.gateway, st);
      if (item.type === 'message' && st.offline) {
        st.held.push(item);
        continue;
      }
      if (item.type === 'drop') st.offline = true;
      yield item;
      if (item.type === 'connect') {
        st.offline = false;
        yield* st.held.splice(0);
      }
    }
  }

  /** Plan the site's local days that start before `until`. */
  private planUntil(s: SiteRun, until: number): void {
    const tz = s.sw.site.timezone;
    while (s.plannedUntil < until) {
      const date = localDate(s.plannedUntil, tz);
      // Draws keyed by the day's index from the window's first local day, not by its date.
      const index = Math.round((s.plannedUntil - periodOf('day', this.window.startMs, tz).startMs) / MS.day);
      for (const a of planDay(this.world.scenario.seed, s.sw, date, index, this.f)) {
        if (a.ms >= this.window.startMs && a.ms < this.window.endMs)
          this.agenda.push({ ...a, at: a.ms, seq: this.make.next() });
      }
      s.plannedUntil = periodOf('day', s.plannedUntil, tz).endMs;
    }
  }

  private act(a: Planned): void {
    switch (a.a) {
      case 'deposit': {
        const bin = a.bin;
        bin.kg[a.category] += a.weightKg;
        this.emit(
          bin,
          {
            kind: 'deposit',
            ms: a.ms,
            id: bin.nextId++,
            household: a.hh.sent,
            category: a.category,
            weightKg: a.weightKg,
            sorting: a.sorting,
            auth: a.auth,
          },
          a.ms,
        );
        if (fillPct(bin, a.category) >= bin.site.site.behaviour.overflowAt && !bin.overflowed.has(a.category)) {
          bin.overflowed.add(a.category);
          this.emit(
            bin,
            { kind: 'bin_alarm', ms: a.ms + MS.second, id: bin.nextId++, alarm: 'overflow', category: a.category },
            a.ms + MS.second,
          );
        }
        return;
      }
      case 'access': {
        const { a: _a, at: _at, seq: _seq, gate, ...rest } = a;
        this.emit(gate, { kind: 'access', id: gate.nextId++, ...rest }, a.ms);
        return;
      }
      case 'alarm':
        if (a.device.dev.type === 'waste-bin')
          this.emit(a.device, { kind: 'bin_alarm', ms: a.ms, id: a.device.nextId++, alarm: a.alarm as 'jam' }, a.ms);
        else
          this.emit(
            a.device,
            { kind: 'gate_alarm', ms: a.ms, id: a.device.nextId++, alarm: a.alarm as 'tailgating' },
            a.ms,
          );
        return;
      case 'collect':
        for (const bin of a.site.bins) {
          for (const c of CATEGORIES) bin.kg[c] = 0;
          bin.overflowed.clear();
        }
        return;
      case 'offline':
        if (a.gateway.offlineUntil !== undefined) return;
        a.gateway.offlineUntil = a.until;
        this.out.push(this.make.control('drop', a.gateway, a.ms));
        if (a.until < this.window.endMs)
          this.agenda.push({ a: 'reconnect', ms: a.until, gateway: a.gateway, at: a.until, seq: this.make.next() });
        return;
      case 'reconnect':
        this.reconnect(a.gateway, a.ms);
        return;
      case 'bad_status':
        if (a.gateway.offlineUntil === undefined) this.out.push(this.make.status(a.gateway, a.ms, 'rebooting', false));
        return;
    }
  }

  /** A device's reading at `t` from its current state. */
  private reading(d: DeviceState, t: number): Element {
    const tz = d.site.site.timezone;
    const rng = stream(this.world.scenario.seed, 'reading', d.dev.id, t - this.window.startMs);
    const battery = Math.max(5, Math.round(d.battery - ((t - this.window.startMs) / MS.day) * 0.5));
    if (d.dev.type === 'access-gate')
      return { kind: 'gate_reading', ms: t, battery, door: chance(rng, 0.03) ? 'open' : 'closed', tamper: false };
    const temperature =
      Math.round((14 + 7 * Math.sin(((localHour(t, tz) - 9) / 24) * 2 * Math.PI) + between(rng, -1, 1)) * 10) / 10;
    return {
      kind: 'bin_reading',
      ms: t,
      battery,
      temperature,
      bins: CATEGORIES.map((c) => ({ category: c, fill: fillPct(d, c), weightKg: Math.round(d.kg[c] * 10) / 10 })),
    };
  }

  /** A device reports `e` at true time `t`: outages, drift, the gateway's backlog, then faults. */
  private emit(d: DeviceState, e: Element, t: number): void {
    if (d.outages.some(([from, to]) => t >= from && t < to)) return;
    e.ms += d.gateway.driftMs;
    const s = this.runOf.get(d.site)!;
    const r = s.faults();
    const r2 = s.faults();
    const f = this.f;
    const draft: Draft = { device: d, element: e };
    let cut = f.malformed;
    const timeShift = this.world.scenario.hub.maxAgeMs + MS.day + int(s.detail, 0, 3599) * MS.second;
    let fault: 'malformed' | 'clock_skew' | 'too_old' | 'duplicate' | 'replay' | 'out_of_order' | undefined;
    if (r < cut) fault = 'malformed';
    else if (r < (cut += f.clockSkew)) fault = 'clock_skew';
    else if (r < (cut += f.tooOld)) fault = 'too_old';
    else if (r < (cut += f.duplicate)) fault = 'duplicate';
    else if (r < (cut += f.replay)) fault = 'replay';
    else if (r < (cut += f.outOfOrder)) fault = 'out_of_order';
    // Times the hub must refuse: beyond its 30-day limit either way, whatever its clock in the
    // ledger's `hubClock` range (README, "Simulated time").
    if (fault === 'clock_skew') [draft.fault, e.ms] = ['clock_skew', e.ms + timeShift];
    if (fault === 'too_old') [draft.fault, e.ms] = ['too_old', e.ms - timeShift];
    let payloadFault: PayloadFault | undefined;
    if (fault === 'malformed') {
      const how = weighted(s.detail, { bad_json: 0.25, empty_payload: 0.1, schema: 0.4, unknown_event_code: 0.25 });
      if (how === 'bad_json' || how === 'empty_payload') payloadFault = how;
      else draft.fault = how;
    }
    const gs = d.gateway;
    if (gs.offlineUntil !== undefined) {
      // Offline: the gateway keeps what its devices say and sends it late, as arrays; a whole-payload fault cannot hit
      // one element.
      if (!payloadFault) gs.backlog.push(draft);
      return;
    }
    const m = this.make.single(draft, t, payloadFault);
    if (fault === 'out_of_order') m.at = t + int(s.detail, 60, 600) * MS.second;
    if (fault === 'out_of_order') m.fault = 'out_of_order';
    this.out.push(m);
    if (fault === 'duplicate') this.out.push(this.make.again(m, t, 'duplicate'));
    if (fault === 'replay') this.out.push(this.make.again(m, t + int(s.detail, 3600, 6 * 3600) * MS.second, 'replay'));
    if (r2 < f.unknownDevice) {
      const ghost = `ghost-${++this.ghosts}`;
      this.out.push(
        this.make.ghost(gs, ghost, t, JSON.stringify({ ts: isoLocal(t, d.site.site.timezone), battery: 50 })),
      );
    }
  }

  /** Back online at `ms`: connect, `online`, then the backlog as arrays per device and channel, then what was held. */
  private reconnect(gs: GatewayState, ms: number): void {
    gs.offlineUntil = undefined;
    this.out.push(this.make.control('connect', gs, ms));
    this.out.push(this.make.status(gs, ms, 'online'));
    const size = this.world.scenario.publish.batchSize;
    const groups = new Map<string, Draft[]>();
    for (const d of gs.backlog) {
      const key = `${d.device.dev.id}/${d.element.kind === 'bin_reading' || d.element.kind === 'gate_reading' ? 't' : 'e'}`;
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    gs.backlog = [];
    const s = this.runOf.get(gs.site)!;
    for (const drafts of groups.values()) {
      for (let i = 0; i < drafts.length; i += size) {
        const chunk = drafts.slice(i, i + size);
        // Some gateways drain their store newest first: out of order within the batch too.
        if (chance(s.detail, 0.5)) chunk.reverse();
        this.out.push(this.make.batch(chunk, ms));
      }
    }
  }
}
