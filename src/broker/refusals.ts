/**
 * Why the broker refused a client or a packet (docs/contract.md §2: refused "at CONNECT or at the
 * packet, and logged with the reason"). One catalogue, counted in `stats().refusals` and named in
 * every refusal log line (`reason` field); docs/contract.md §2 lists it from here
 * (test/readme.test.ts checks).
 */
import type { Logger } from '../log.ts';

/** Every refusal reason with what it means and what the client sees. */
export const REFUSAL_REASONS = {
  anonymous: 'CONNECT without a username: CONNACK 5 (not authorized)',
  bad_username: 'a username containing +, # or /: CONNACK 4 (bad user name or password)',
  unknown_user: 'a username that is neither a gateway of the inventory nor an observer: CONNACK 4',
  bad_secret: 'a wrong or missing password: CONNACK 4',
  auth_error: 'the stored secret could not be checked: CONNACK 3 (server unavailable)',
  connection_limit:
    'mqtt.maxConnections sessions are open already: CONNACK 3; beyond maxConnections + max(maxConnections, 100) open sockets, new ones are closed unread',
  cert_required: 'no client certificate on the TLS listener with mqtt.tlsClientCerts required: CONNACK 5',
  cert_unverified:
    'a client certificate that does not verify against mqtt.tlsCaFile (another CA, expired, self-signed): CONNACK 5',
  cert_unknown: 'a verified client certificate that names no gateway of the inventory (or more than one): CONNACK 5',
  cert_mismatch: "a username that is not one of the client certificate's names: CONNACK 4",
  publish_wildcard: 'a PUBLISH topic containing + or # [MQTT-3.3.2-2]: the connection is closed',
  publish_foreign: "a PUBLISH outside the gateway's own {root}/{site}/{gateway}/ subtree: the connection is closed",
  publish_bad_topic:
    "a PUBLISH under the gateway's subtree that is neither {device}/telemetry, {device}/event nor status: the connection is closed",
  publish_observer: 'an observer (read-only) account published: the connection is closed',
  subscribe_denied: 'a SUBSCRIBE filter outside what the account may read: SUBACK failure 0x80, the connection stays',
  packet_too_large:
    'a packet whose fixed header announces more than the limit: the connection is closed before its body is read',
} as const satisfies Record<string, string>;

/** A refusal reason. */
export type RefusalReason = keyof typeof REFUSAL_REASONS;

/** Who was refused, for the log line (never a payload: it may hold personal data). */
export interface RefusalFields {
  username?: string | undefined;
  clientId?: string | undefined;
  remote?: string | undefined;
  topic?: string | undefined;
  detail?: string | undefined;
}

/** Counts refusals by reason and logs each one at `warn`. */
export class RefusalCounter {
  readonly #counts = Object.fromEntries(Object.keys(REFUSAL_REASONS).map((r) => [r, 0])) as Record<
    RefusalReason,
    number
  >;

  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** Count and log one refusal. */
  refuse(reason: RefusalReason, fields: RefusalFields): void {
    this.#counts[reason]++;
    this.#logger.warn({ reason, ...fields }, `mqtt refused (${reason}): ${REFUSAL_REASONS[reason]}`);
  }

  /** A copy of the counts. */
  snapshot(): Record<RefusalReason, number> {
    return { ...this.#counts };
  }
}
