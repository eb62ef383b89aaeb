/**
 * The ingest path as a component of the hub (docs/architecture.md, "Lifecycle"): `start()` builds
 * the normalisers on the loaded device models and the {@link Ingest} over the spool and the dead
 * letters; `stop()` closes the way in (messages after it are refused as "not taking messages").
 * It also owns the replay policy: which dead letters a replay takes (DeadLetterStore.select) and
 * what it answers for each.
 */
import type { Inventory } from '../config/inventory.ts';
import type { DeadLetterSelection, DeadLetterStore } from '../deadletters/store.ts';
import { HubError } from '../errors.ts';
import type { Component } from '../lifecycle.ts';
import type { Logger } from '../log.ts';
import { createNormaliser, type ModelLookup } from '../normalise/index.ts';
import { Ingest, type IngestMessage, type IngestOutcome, type IngestStats, type PointSpool } from './ingest.ts';

/** What a replay did with one dead letter. */
export interface ReplayResult {
  id: string;
  points: number;
  stillRejected: { reason: string; index?: number }[];
}

export interface IngestStageOptions {
  /** The hub's inventory (the live view: a reload applies to the next message). */
  inventory: Inventory;
  /** The device models, loaded by the time `start()` runs. */
  models: () => ModelLookup;
  spool: PointSpool;
  deadLetters: DeadLetterStore;
  logger: Logger;
  pseudonymKey: string;
  maxPayloadBytes: number;
  maxFutureSkewMs: number;
  maxAgeMs: number;
  now: () => number;
}

const closed = (): HubError =>
  new HubError('HUB_ERR_WRITER_CLOSED', 'the hub is not taking messages (not started, or stopping)');

/** See the file comment. */
export class IngestStage implements Component {
  readonly name = 'ingest';
  readonly #o: IngestStageOptions;
  #ingest: Ingest | undefined;
  #stopped = false;

  constructor(options: IngestStageOptions) {
    this.#o = options;
  }

  start(): void {
    const { inventory, spool, deadLetters, logger, now } = this.#o;
    const normaliser = createNormaliser({
      models: this.#o.models(),
      pseudonymKey: this.#o.pseudonymKey,
      maxPayloadBytes: this.#o.maxPayloadBytes,
      maxFutureSkewMs: this.#o.maxFutureSkewMs,
      maxAgeMs: this.#o.maxAgeMs,
      now,
    });
    this.#ingest = new Ingest({ inventory, normaliser, spool, deadLetters, logger, now });
  }

  stop(): void {
    this.#stopped = true;
  }

  stats(): IngestStats | undefined {
    return this.#ingest?.stats();
  }

  /** See Ingest.handle; rejects `HUB_ERR_WRITER_CLOSED` before the start and after the stop. */
  handle(msg: IngestMessage): Promise<IngestOutcome> {
    const ingest = this.#ingest;
    // (After the stop the broker and the API are closed already; the spool refuses what comes late.)
    if (!ingest) return Promise.reject(closed());
    return ingest.handle(msg);
  }

  /** Record a gateway offline whose connection ended without a status message or Will. */
  gatewayOffline(site: string, gateway: string, at: number): Promise<void> {
    if (!this.#ingest) return Promise.reject(closed());
    return this.#ingest.gatewayOffline(site, gateway, at);
  }

  /** Re-run the selected dead letters through the current normalisers (see Ingest.replay). */
  async replay(selection: DeadLetterSelection): Promise<ReplayResult[]> {
    const ingest = this.#ingest;
    if (!ingest || this.#stopped) throw closed();
    const out: ReplayResult[] = [];
    for (const dl of await this.#o.deadLetters.select(selection)) {
      const r = await ingest.replay(dl);
      out.push({
        id: dl.id,
        points: r.points,
        stillRejected: r.rejects.map(({ reason, index }) => (index === undefined ? { reason } : { reason, index })),
      });
    }
    if (out.length > 0)
      this.#o.logger.info(
        { replayed: out.length, points: out.reduce((a, r) => a + r.points, 0) },
        'dead letters replayed',
      );
    return out;
  }
}
