/**
 * The ingest path shared by MQTT and (later) HTTP: topic route → device lookup → normalise →
 * points to the writer, rejects to the dead-letter store. `handle()` resolves only when every part
 * of the message is durable — its points written, its rejects on disk — which is when the broker
 * may send the PUBACK (contract section 2, "Delivery"). It rejects only when the message could
 * not be made durable and should be sent again (InfluxDB unreachable after retries, writer full).
 */
import type { Inventory } from '../config/inventory.ts';
import type { DeadLetterStore } from '../deadletters/store.ts';
import { isHubError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { gatewayStatusPoint, parseStatusPayload, unknownDeviceReject, type Normaliser, type Reject } from '../normalise/index.ts';
import type { Point } from '../point.ts';
import type { PointWriter } from './point-writer.ts';

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
}

/** What happened to one message. */
export interface IngestOutcome {
  points: number;
  rejects: Reject[];
}

/** Counters for logs and metrics. */
export interface IngestStats {
  messages: number;
  pointsWritten: number;
  /** Messages with at least one reject (each kept in the dead-letter store). */
  deadLettered: number;
  /** Messages not made durable: not acknowledged, to be resent. */
  failed: number;
}

export interface IngestDeps {
  inventory: Inventory;
  normaliser: Normaliser;
  writer: PointWriter;
  deadLetters: DeadLetterStore;
  logger: Logger;
}

/** Routes messages to the writer and the dead-letter store. */
export class Ingest {
  private readonly counts: IngestStats = { messages: 0, pointsWritten: 0, deadLettered: 0, failed: 0 };

  constructor(private readonly deps: IngestDeps) {}

  stats(): IngestStats {
    return { ...this.counts };
  }

  /** Make one message durable (points written, rejects dead-lettered); see the file comment. */
  async handle(msg: IngestMessage): Promise<IngestOutcome> {
    this.counts.messages++;
    const { points, rejects } = this.route(msg);
    try {
      const writeRejects = await this.write(points);
      rejects.push(...writeRejects);
      if (rejects.length > 0) await this.deadLetter(msg, rejects);
    } catch (e) {
      this.counts.failed++;
      throw e;
    }
    const written = rejects.some((r) => r.reason === 'write_rejected') ? 0 : points.length;
    this.counts.pointsWritten += written;
    return { points: written, rejects };
  }

  /** A status change the broker saw without a status message (connection lost, no Will). */
  async gatewayOffline(site: string, gateway: string, at: number): Promise<void> {
    await this.deps.writer.write([gatewayStatusPoint(site, gateway, false, at)]);
  }

  private route(msg: IngestMessage): { points: Point[]; rejects: Reject[] } {
    if (msg.channel === 'status') {
      const online = parseStatusPayload(msg.payload);
      if (online === undefined) return { points: [], rejects: [{ reason: 'bad_status', detail: 'expected "online" or "offline"' }] };
      return { points: [gatewayStatusPoint(msg.site, msg.gateway, online, msg.receivedAt)], rejects: [] };
    }
    const device = msg.device === undefined ? undefined : this.deps.inventory.device(msg.site, msg.gateway, msg.device);
    if (!device) return { points: [], rejects: [unknownDeviceReject(msg.site, msg.gateway, msg.device ?? '')] };
    return this.deps.normaliser.normalise({ site: msg.site, gateway: msg.gateway, device, channel: msg.channel, payload: msg.payload, receivedAt: msg.receivedAt });
  }

  /**
   * Write the points; a refusal by InfluxDB that no retry can fix (a field type conflict, a bad
   * point) becomes a `write_rejected` dead letter with InfluxDB's message, so the message is kept
   * and the gateway is not asked to resend it forever. Retryable failures propagate.
   */
  private async write(points: Point[]): Promise<Reject[]> {
    if (points.length === 0) return [];
    try {
      await this.deps.writer.write(points);
      return [];
    } catch (e) {
      if (isHubError(e) && !e.retryable) return [{ reason: 'write_rejected', detail: `${e.code}: ${e.message}` }];
      throw e;
    }
  }

  private async deadLetter(msg: IngestMessage, rejects: Reject[]): Promise<void> {
    this.counts.deadLettered++;
    const notes = rejects.map(({ reason, detail, index }) => (index === undefined ? { reason, detail } : { reason, detail, index }));
    await this.deps.deadLetters.add({
      topic: msg.topic,
      site: msg.site,
      gateway: msg.gateway,
      ...(msg.device === undefined ? {} : { device: msg.device }),
      channel: msg.channel,
      receivedAt: msg.receivedAt,
      payload: msg.payload,
      rejects: notes,
    });
    this.deps.logger.warn(
      { topic: msg.topic, gateway: msg.gateway, reasons: [...new Set(rejects.map((r) => r.reason))], rejected: rejects.length },
      'message kept as a dead letter',
    );
  }
}
