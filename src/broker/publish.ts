/**
 * The aedes `authorizePublish` handler: the ACL, then the hand-off to `onPublish`.
 *
 * In aedes 1.2 (lib/handlers/publish.js) a PUBLISH runs `authorizePublish` and only when its
 * callback is called with no error does it send the PUBACK (QoS 1), PUBREC (QoS 2) and route the
 * message to subscribers. So the callback is held until `onPublish` resolves: the PUBACK means
 * "durable" (docs/contract.md §2, "Delivery"). An error in the callback closes the connection
 * without any acknowledgement; the gateway resends after reconnecting ([MQTT-4.4.0-1]).
 *
 * The same handler sees the Last Will when a connection ends without DISCONNECT (aedes
 * lib/client.js `close()`; [MQTT-3.1.2-8]), and `client === null` for publishes the hub makes
 * itself, which are allowed.
 */
import type { Client, PublishPacket } from 'aedes';
import type { Logger } from '../log.ts';
import type { Acl } from './acl.ts';
import type { Session } from './auth.ts';
import { parseStatus, type Presence } from './presence.ts';
import type { RefusalCounter } from './refusals.ts';
import type { BrokerOptions, PublishContext } from './types.ts';

/** The aedes `authorizePublish` signature. */
export type AuthorizePublish = (
  client: Client | null,
  packet: PublishPacket,
  callback: (error?: Error | null) => void,
) => void;

/** Dependencies of the publish handler. */
export interface PublishDeps {
  acl: Acl;
  logger: Logger;
  refusals: RefusalCounter;
  sessions: WeakMap<Client, Session>;
  presence: Presence;
  onPublish: BrokerOptions['onPublish'];
  counts: { accepted: number; failed: number };
  /** True while the broker stops: Wills are not published then (the hub, not the gateway, goes away). */
  stopping: () => boolean;
}

/** Build the aedes `authorizePublish` handler. */
export function createPublishAuthorizer(deps: PublishDeps): AuthorizePublish {
  /**
   * Per client, its publishes not yet acknowledged, in arrival order. A queue, not a chain of
   * promises: the chain (two to four promises per message) showed as garbage in the hot-path
   * profile (docs/benchmarks-profile.md).
   */
  const queues = new WeakMap<Client, Pending[]>();
  /** Per gateway, its previous status message: a reconnect's `online` never lands before the old connection's Will. */
  const statusTails = new Map<string, Promise<void>>();

  /** Acknowledges (or refuses) one publish whose onPublish settled, its turn having come. */
  const finish = (entry: Pending): void => {
    const { err, status, will, route, account, clientId, packet } = entry;
    if (err === undefined) {
      deps.counts.accepted++;
      if (status !== undefined) deps.presence.report(route.site, route.gateway, status, will ? 'will' : 'status');
      entry.callback(null);
      return;
    }
    deps.counts.failed++;
    deps.logger.error(
      { err, username: account.username, clientId, topic: packet.topic, qos: packet.qos, will },
      'mqtt publish not recorded: not acknowledged, closing the connection so the gateway resends',
    );
    // A Will's status still stands: the gateway is gone even if the record failed.
    if (will && status !== undefined) deps.presence.report(route.site, route.gateway, status, 'will');
    entry.callback(err instanceof Error ? err : new Error(String(err)));
  };

  /** Marks `entry` settled, then acknowledges from the head of its client's queue while settled. */
  const settle = (client: Client, entry: Pending, err: unknown): void => {
    entry.err = err;
    entry.settled = true;
    const queue = queues.get(client);
    if (!queue) return;
    while (queue.length > 0 && queue[0]!.settled) finish(queue.shift()!);
    if (queue.length === 0) queues.delete(client);
  };

  return (client, packet, callback) => {
    if (client === null) return callback(null); // the hub's own publish (e.g. retained KPI values)
    const session = deps.sessions.get(client);
    if (!session) return callback(new Error('publish from a client that is not authenticated'));
    // aedes marks the client closed before it offers the Will (lib/client.js close()).
    const will = client.closed;
    if (will && deps.stopping()) return callback(new Error('broker stopping: Will not published'));

    const { account, clientId, remote } = session;
    const decision = deps.acl.publish(account, packet.topic);
    if (!decision.ok) {
      deps.refusals.refuse(decision.reason, {
        username: account.username,
        clientId,
        remote,
        topic: packet.topic,
        detail: will ? `Last Will: ${decision.detail}` : decision.detail,
      });
      // [MQTT-3.3.5-2] a server that does not authorise a PUBLISH must acknowledge it or close the
      // connection; aedes closes it, so a misbehaving gateway is visible rather than silently acked.
      return callback(new Error(`publish refused: ${decision.reason}`));
    }

    const { route } = decision;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const ctx: PublishContext = {
      site: route.site,
      gateway: route.gateway,
      device: route.device,
      channel: route.channel,
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      clientId,
    };
    const status = route.channel === 'status' ? parseStatus(payload) : undefined;
    // Mark synchronously: aedes reports the connection's end right after offering the Will.
    if (status !== undefined) session.offlineReported = will || !status;

    // Plain data, no closure per message: a named arrow here cost a `__name` call per PUBLISH under
    // tsx (docs/benchmarks-profile.md, "Third round").
    const entry: Pending = { settled: false, err: undefined, callback, status, will, route, account, clientId, packet };
    // [MQTT-4.6.0-2] PUBACKs go out in the order the PUBLISH packets arrived, even when the
    // onPublish calls of one read batch settle out of order.
    let queue = queues.get(client);
    if (!queue) queues.set(client, (queue = []));
    queue.push(entry);

    let outcome: Promise<unknown>;
    try {
      outcome = deps.onPublish(ctx);
    } catch (e) {
      outcome = Promise.reject(e);
    }
    if (route.channel === 'status') {
      // A status message also waits for the gateway's previous one, whichever connection sent it.
      const previous = statusTails.get(route.gateway);
      const own = outcome;
      outcome = previous ? previous.then(() => own) : own;
      statusTails.set(
        route.gateway,
        outcome.then(
          () => undefined,
          () => undefined,
        ),
      );
    }
    outcome.then(
      () => settle(client, entry, undefined),
      (err: unknown) => settle(client, entry, err ?? new Error('onPublish rejected')),
    );
  };
}

/** One publish waiting for its acknowledgement (see `queues`), with what acknowledging it needs. */
interface Pending {
  settled: boolean;
  err: unknown;
  callback: (error?: Error | null) => void;
  /** The status it reports (`status` channel only). */
  status: boolean | undefined;
  /** A Last Will, not a PUBLISH. */
  will: boolean;
  route: { site: string; gateway: string };
  account: Session['account'];
  clientId: string;
  packet: PublishPacket;
}
