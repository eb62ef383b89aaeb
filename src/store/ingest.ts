/**
 * The ingest path shared by MQTT and HTTP (src/api/routes/ingest.ts): topic route → device lookup → normalise →
 * points to the spool (or, without one, straight to the writer), rejects to the dead-letter store.
 * `handle()` resolves only when every part of the message is durable — its points in the spool's
 * fsync'd log or written to InfluxDB, its rejects on disk — which is when the broker may send the
 * PUBACK (docs/contract.md §2, "Delivery"). It rejects only when the message could not be made
 * durable and should be sent again (spool full for too long, disk error, shutting down; without a
 * spool: InfluxDB unreachable after retries, writer full).
 *
 * Why every message goes through the spool, not only when InfluxDB fails: aedes reads
 * nothing more from a client while its onPublish is pending, so the PUBACK must wait for something
 * fast and steady; a group-committed local fsync is (about a millisecond a group), an InfluxDB
 * write is not (its flush interval, then HTTP; seconds of retries when it is down). One path for
 * every message also means the outage path is the path exercised all day, not a rarely run
 * fallback, and a crash leaves nothing acknowledged in memory only. bench/durability.bench.ts
 * measures what this costs against writing straight to InfluxDB.
 */
import type { Inventory } from '../config/inventory.ts';
import { DeadLetterStore, type DeadLetter } from '../deadletters/store.ts';
import { HubError, isHubError } from '../errors.ts';
import type { Logger } from '../log.ts';
import {
  ArrivalStamps,
  gatewayStatusPoint,
  parseStatusPayload,
  unknownDeviceReject,
  type Normaliser,
  type NormaliseInput,
  type Reject,
  type Stamp,
} from '../normalise/index.ts';
import { msFromNs, type Point } from '../point.ts';
import type { PointWriter } from './point-writer.ts';
import { spoolRecord, type RecordSource, type NewSpoolRecord } from './spool/record.ts';

/** One message as received, whatever the transport. */
export interface IngestMessage {
  topic: string;
  site: string;
  gateway: string;
  /** Absent for `status`. */
  device?: string;
  channel: 'telemetry' | 'event' | 'status';
  payload: Buffer;
  /** Arrival time, epoch ms. */
  receivedAt: number;
  /** Arrival slots reserved for it (src/normalise/stamp.ts); set by routing, kept with its dead letter. */
  stamp?: Stamp;
}

/** What happened to one message. */
export interface IngestOutcome {
  points: number;
  rejects: Reject[];
}

/** Counters for logs and metrics. */
export interface IngestStats {
  messages: number;
  /** Points made durable: spooled (with a spool) or written to InfluxDB (without one). */
  pointsWritten: number;
  /** Messages with at least one reject (each kept in the dead-letter store). */
  deadLettered: number;
  /** Messages not made durable: not acknowledged, to be resent. */
  failed: number;
}

/** Where points go: the spool's `append` (spool.ts). */
export interface PointSpool {
  append(record: NewSpoolRecord): Promise<void>;
}

export interface IngestDeps {
  inventory: Inventory;
  normaliser: Normaliser;
  /** The durable path: points are acknowledged once in the spool; the drainer writes them. */
  spool?: PointSpool;
  /** Without a spool: points are acknowledged once InfluxDB has them (tests, benchmarks). */
  writer?: PointWriter;
  deadLetters: DeadLetterStore;
  logger: Logger;
  /** Clock of the spool records' `at` (default Date.now). */
  now?: () => number;
  /**
   * Told, once a message's points are durable (spooled, or written without a spool), the site and
   * the times (epoch ms) of those points: MQTT, HTTP ingest and dead-letter replays alike. The hub
   * wires it to the KPI scheduler, so late data reaches the stored KPIs (src/kpi/README.md, "Late
   * data") while this stage imports nothing of kpi. Called synchronously; a throw is logged.
   */
  onAccepted?: (site: string, times: readonly number[]) => void;
}

/** Routes messages to the spool (or the writer) and the dead-letter store. */
export class Ingest {
  readonly #counts: IngestStats = { messages: 0, pointsWritten: 0, deadLettered: 0, failed: 0 };
  readonly #deps: IngestDeps;
  /** gateway_status has no timed points, so its sequence starts at offset 0 (src/normalise/stamp.ts). */
  readonly #statusStamps = new ArrivalStamps(0);

  constructor(deps: IngestDeps) {
    this.#deps = deps;
    if (!deps.spool && !deps.writer) throw new HubError('HUB_ERR_INTERNAL', 'Ingest needs a spool or a writer');
  }

  stats(): IngestStats {
    return { ...this.#counts };
  }

  /**
   * Make one message durable (points spooled or written, rejects dead-lettered); see the file
   * comment. Sets `msg.stamp` to the arrival slots reserved for it (each transport builds a message
   * object per message: no copy is made to add them).
   */
  async handle(msg: IngestMessage): Promise<IngestOutcome> {
    this.#counts.messages++;
    const routed = this.#route(msg);
    const { rejects, stamp } = routed;
    let { points } = routed;
    // Kept on the message itself (see `handle`): its record and dead letter carry the slots.
    if (stamp) msg.stamp = stamp;
    const { spool } = this.#deps;
    try {
      if (spool) {
        // Encoded once, here: the spool keeps the line protocol the drainer posts (record.ts).
        let record: NewSpoolRecord | undefined;
        try {
          record = points.length > 0 ? this.#record(points, msg) : undefined;
        } catch (e) {
          // A point InfluxDB would refuse (line.ts): kept as a dead letter, as the writer would.
          if (!isHubError(e) || e.retryable) throw e;
          rejects.push({ reason: 'write_rejected', detail: `${e.code}: ${e.message}` });
          points = [];
        }
        // Both to disk at once: the spool's group commit and the dead letters' share no file.
        const spooled = record ? this.#spool(record) : undefined;
        const kept = rejects.length > 0 ? this.#deadLetter(msg, rejects) : undefined;
        const tooLarge = kept ? (await Promise.all([spooled, kept]))[0] : await spooled;
        if (tooLarge) {
          await this.#deadLetter(msg, [tooLarge]);
          return { points: 0, rejects: [...rejects, tooLarge] };
        }
        this.#counts.pointsWritten += points.length;
        this.#accepted(msg.site, points);
        return { points: points.length, rejects };
      }
      const writeRejects = await this.#write(points);
      rejects.push(...writeRejects);
      if (rejects.length > 0) await this.#deadLetter(msg, rejects);
    } catch (e) {
      this.#counts.failed++;
      throw e;
    }
    const written = rejects.some((r) => r.reason === 'write_rejected') ? 0 : points.length;
    this.#counts.pointsWritten += written;
    if (written > 0) this.#accepted(msg.site, points);
    return { points: written, rejects };
  }

  /**
   * Run a stored dead letter through the current normalisers again (replay after a model
   * fix): only its rejected indexes when every reject names one (an array payload), else the whole
   * payload; judged by the time rules at its original arrival, stamped with its original
   * `receivedAt`. Points go to the spool as `handle()`'s do and land on the same keys, so a second
   * replay overwrites rather than duplicates. What is still refused is returned, not stored again.
   */
  async replay(dl: DeadLetter): Promise<IngestOutcome> {
    // Damaged spool bytes are no message: their frames failed their checks, so neither a topic nor
    // a body in them can be trusted, and the payload may be only a prefix (spool/quarantine.ts).
    if (dl.rejects.some((r) => r.reason === 'spool_damaged')) {
      return {
        points: 0,
        rejects: dl.rejects.map((r) => ({
          reason: r.reason as Reject['reason'],
          detail: 'damaged spool bytes, not a message: never replayed; see the quarantine file its detail names',
        })),
      };
    }
    if (
      (dl.channel !== 'telemetry' && dl.channel !== 'event') ||
      dl.site === undefined ||
      dl.gateway === undefined ||
      dl.device === undefined
    ) {
      return {
        points: 0,
        rejects: dl.rejects.map((r) => ({
          reason: r.reason as Reject['reason'],
          detail: 'only device telemetry and events can be replayed',
        })),
      };
    }
    const indexes = dl.rejects.map((r) => r.index);
    const only =
      dl.rejects.length > 0 && indexes.every((i) => i !== undefined) ? new Set(indexes as number[]) : undefined;
    const msg: IngestMessage = {
      topic: dl.topic,
      site: dl.site,
      gateway: dl.gateway,
      device: dl.device,
      channel: dl.channel,
      payload: DeadLetterStore.payloadOf(dl),
      receivedAt: dl.receivedAt,
      // The slots the first try reserved; a dead letter from before they existed is stamped as
      // then: its arrival millisecond with the array index as offset.
      stamp: dl.stamp ?? { ms: Math.floor(dl.receivedAt), offset: 0 },
    };
    const { points, rejects } = this.#route(msg, { clock: dl.receivedAt, ...(only ? { only } : {}) });
    if (points.length > 0) {
      if (this.#deps.spool) {
        const tooLarge = await this.#spool(this.#record(points, msg));
        if (tooLarge) return { points: 0, rejects: [...rejects, tooLarge] };
      } else await this.#deps.writer!.write(points);
      this.#counts.pointsWritten += points.length;
      this.#accepted(msg.site, points);
    }
    return { points: points.length, rejects };
  }

  /** A status change the broker saw without a status message (connection lost, no Will). */
  async gatewayOffline(site: string, gateway: string, at: number): Promise<void> {
    const stamp = this.#statusStamps.reserve(`${site}\u0000${gateway}`, at, 1);
    const point = gatewayStatusPoint(site, gateway, false, stamp.ms, stamp.offset);
    const { spool, writer } = this.#deps;
    if (spool) {
      // No message carried it: the dead letter a refusal would make names what happened instead.
      const source: RecordSource = {
        topic: `(connection lost) ${site}/${gateway}/status`,
        site,
        gateway,
        channel: 'status',
        receivedAt: at,
        payload: Buffer.from('offline'),
      };
      await spool.append(this.#record([point], source));
    } else {
      await writer!.write([point]);
    }
  }

  /** Tells `onAccepted` the times of durable points (see IngestDeps). */
  #accepted(site: string, points: readonly Point[]): void {
    const hook = this.#deps.onAccepted;
    if (!hook || points.length === 0) return;
    try {
      // A message's points mostly share one time: each time once (the hook marks periods).
      const times: number[] = [];
      let last: string | undefined;
      for (const p of points) if (p.time !== last) times.push(msFromNs((last = p.time)));
      hook(site, times);
    } catch (err) {
      this.#deps.logger.error({ err, site }, 'the accepted-data hook failed');
    }
  }

  /**
   * Appends a record to the spool. A record too large for a spool frame can never be spooled, so
   * resending cannot help: it comes back as an `oversized` reject, and the message is kept whole as
   * a dead letter (docs/contract.md §3) rather than refused forever.
   */
  #spool(record: NewSpoolRecord): Promise<Reject | undefined> {
    return this.#deps.spool!.append(record).then(
      () => undefined,
      (e: unknown) => {
        if (!isHubError(e, 'HUB_ERR_SPOOL_RECORD_TOO_LARGE')) throw e;
        return { reason: 'oversized', detail: `${e.code}: ${e.message}` };
      },
    );
  }

  /**
   * The message is its own record source (what a dead letter needs, should InfluxDB refuse its
   * points while draining): the record's encoder reads only the source's fields (record.ts).
   */
  #record(points: Point[], source: RecordSource): NewSpoolRecord {
    return spoolRecord((this.#deps.now ?? Date.now)(), points, source);
  }

  #route(
    msg: IngestMessage,
    replay: { clock?: number; only?: ReadonlySet<number> } = {},
  ): { points: Point[]; rejects: Reject[]; stamp?: Stamp } {
    if (msg.channel === 'status') {
      const online = parseStatusPayload(msg.payload);
      if (online === undefined)
        return { points: [], rejects: [{ reason: 'bad_status', detail: 'expected "online" or "offline"' }] };
      // Two status messages of one gateway in one millisecond are two points, not one (stamp.ts).
      const stamp = this.#statusStamps.reserve(`${msg.site}\u0000${msg.gateway}`, msg.receivedAt, 1);
      const point = gatewayStatusPoint(msg.site, msg.gateway, online, stamp.ms, stamp.offset);
      return { points: [point], rejects: [], stamp };
    }
    const device =
      msg.device === undefined ? undefined : this.#deps.inventory.device(msg.site, msg.gateway, msg.device);
    if (!device) return { points: [], rejects: [unknownDeviceReject(msg.site, msg.gateway, msg.device ?? '')] };
    const input: NormaliseInput = {
      site: msg.site,
      gateway: msg.gateway,
      device,
      channel: msg.channel,
      payload: msg.payload,
      receivedAt: msg.receivedAt,
    };
    if (msg.stamp) input.stamp = msg.stamp;
    if (replay.clock !== undefined) input.clock = replay.clock;
    if (replay.only) input.only = replay.only;
    return this.#deps.normaliser.normalise(input);
  }

  /**
   * Write the points; a refusal by InfluxDB that no retry can fix (a field type conflict, a bad
   * point) becomes a `write_rejected` dead letter with InfluxDB's message, so the message is kept
   * and the gateway is not asked to resend it forever. Retryable failures propagate.
   */
  async #write(points: Point[]): Promise<Reject[]> {
    if (points.length === 0) return [];
    try {
      await this.#deps.writer!.write(points);
      return [];
    } catch (e) {
      if (isHubError(e) && !e.retryable) return [{ reason: 'write_rejected', detail: `${e.code}: ${e.message}` }];
      throw e;
    }
  }

  async #deadLetter(msg: IngestMessage, rejects: Reject[]): Promise<void> {
    this.#counts.deadLettered++;
    const notes = rejects.map(({ reason, detail, index }) =>
      index === undefined ? { reason, detail } : { reason, detail, index },
    );
    await this.#deps.deadLetters.add({
      topic: msg.topic,
      site: msg.site,
      gateway: msg.gateway,
      ...(msg.device === undefined ? {} : { device: msg.device }),
      channel: msg.channel,
      receivedAt: msg.receivedAt,
      ...(msg.stamp ? { stamp: msg.stamp } : {}),
      payload: msg.payload,
      rejects: notes,
    });
    this.#deps.logger.warn(
      {
        topic: msg.topic,
        gateway: msg.gateway,
        reasons: [...new Set(rejects.map((r) => r.reason))],
        rejected: rejects.length,
      },
      'message kept as a dead letter',
    );
  }
}
