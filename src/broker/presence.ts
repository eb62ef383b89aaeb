/**
 * Gateway presence (docs/contract.md §2): a gateway is online or offline by its retained
 * `{root}/{site}/{gateway}/status` message, by its Last Will (`offline`, published when the
 * connection ends without DISCONNECT [MQTT-3.1.2-8]), or, failing both, by its last connection
 * ending. A gateway may hold more than one connection for a moment (a reconnect overlapping the
 * old socket's timeout); it is offline when the last one ends.
 */
import type { Logger } from '../log.ts';
import type { Session } from './auth.ts';
import type { BrokerOptions, GatewayStatusCause } from './types.ts';

/** `true` for `online`, `false` for `offline`, undefined otherwise (whitespace ignored). */
export function parseStatus(payload: Buffer): boolean | undefined {
  const s = payload.toString('utf8').trim();
  return s === 'online' ? true : s === 'offline' ? false : undefined;
}

/** Tracks connected gateways and reports status changes to `onGatewayStatus`. */
export class Presence {
  readonly #live = new Map<string, number>();
  /** While stopping, connections end because the hub stops, not because gateways went away. */
  quiet = false;

  readonly #logger: Logger;
  readonly #onStatus: BrokerOptions['onGatewayStatus'];

  constructor(logger: Logger, onStatus: BrokerOptions['onGatewayStatus']) {
    this.#logger = logger;
    this.#onStatus = onStatus;
  }

  /** A gateway session became ready. */
  connected(gateway: string): void {
    this.#live.set(gateway, (this.#live.get(gateway) ?? 0) + 1);
  }

  /** A gateway session ended; reports `offline` unless it was reported already. */
  disconnected(site: string, gateway: string, session: Session): void {
    const left = (this.#live.get(gateway) ?? 1) - 1;
    if (left > 0) this.#live.set(gateway, left);
    else this.#live.delete(gateway);
    if (left === 0 && !session.offlineReported) this.report(site, gateway, false, 'disconnect');
  }

  /** Ids of connected gateways, sorted. */
  gateways(): string[] {
    return [...this.#live.keys()].sort();
  }

  /** Call `onGatewayStatus`, never letting it throw into the broker. */
  report(site: string, gateway: string, online: boolean, cause: GatewayStatusCause): void {
    if (this.quiet) return;
    this.#logger.info({ site, gateway, online, cause }, `gateway ${online ? 'online' : 'offline'} (${cause})`);
    try {
      this.#onStatus?.(site, gateway, online, cause);
    } catch (err) {
      this.#logger.error({ err, site, gateway }, 'onGatewayStatus threw');
    }
  }
}
