/**
 * Access rules (docs/contract.md §2), decided on the authenticated account, never the client id:
 *
 * - a gateway publishes only `{root}/{site}/{gateway}/{device}/telemetry|event` or its own
 *   `{root}/{site}/{gateway}/status`. A device id the inventory does not place behind it passes the
 *   ACL (it is inside the gateway's own subtree) and is refused by the ingest path instead, as an
 *   `unknown_device` dead letter that is acknowledged: a device installed before the inventory
 *   knows it must not make its gateway reconnect and resend forever, blocking every other device
 *   behind it, and its data stays replayable once the inventory is fixed (docs/contract.md §2);
 * - a gateway subscribes only inside `{root}/{site}/{gateway}/` and `{root}/{site}/kpi/`;
 * - an observer subscribes anywhere under `{root}/` and never publishes.
 */
import type { RefusalReason } from './refusals.ts';
import { filterWithin, hasWildcard } from './topic.ts';
import type { PublishChannel } from './types.ts';

/** Who an authenticated session is. */
export type Account = { kind: 'gateway'; username: string; site: string } | { kind: 'observer'; username: string };

/** Where an accepted publish goes. */
export interface PublishRoute {
  site: string;
  gateway: string;
  device?: string;
  channel: PublishChannel;
}

/** The outcome of the publish rule. */
export type PublishDecision = { ok: true; route: PublishRoute } | { ok: false; reason: RefusalReason; detail: string };

/** The access rules for one topic root. */
export class Acl {
  readonly #root: readonly string[];
  /** Per gateway account, `{root}/{site}/{gateway}/`. */
  readonly #prefixes = new WeakMap<Account, string>();

  constructor(root: readonly string[]) {
    this.#root = root;
  }

  /** May `account` publish to `topic`? */
  publish(account: Account, topic: string): PublishDecision {
    if (account.kind === 'observer') return refuse('publish_observer', 'observer accounts are read-only');
    // aedes refuses wildcards before asking (lib/handlers/publish.js); the Last Will is not
    // checked there, so check again [MQTT-3.1.2-14] [MQTT-3.3.2-2].
    if (hasWildcard(topic)) return refuse('publish_wildcard', 'wildcards are not allowed in a topic name');
    // Site and gateway ids are single levels (inventory ID_PATTERN: no `/`), so a prefix ending in
    // `/` compares whole levels; kept per account, as every publish asks.
    let own = this.#prefixes.get(account);
    if (own === undefined)
      this.#prefixes.set(account, (own = `${[...this.#root, account.site, account.username].join('/')}/`));
    if (!topic.startsWith(own)) {
      if (topic === own.slice(0, -1))
        return refuse('publish_bad_topic', 'expected {device}/telemetry, {device}/event or status');
      return refuse('publish_foreign', `only ${own}… is allowed`);
    }
    const rest = topic.slice(own.length).split('/');
    const { site, username: gateway } = account;
    if (rest.length === 1 && rest[0] === 'status') return { ok: true, route: { site, gateway, channel: 'status' } };
    const [device, channel] = rest;
    if (rest.length !== 2 || device === undefined || (channel !== 'telemetry' && channel !== 'event')) {
      return refuse('publish_bad_topic', 'expected {device}/telemetry, {device}/event or status');
    }
    return { ok: true, route: { site, gateway, device, channel } };
  }

  /** May `account` subscribe to `filter` (already a valid filter, checked by aedes)? */
  subscribe(account: Account, filter: string): boolean {
    if (account.kind === 'observer') return filterWithin(filter, this.#root);
    return (
      filterWithin(filter, [...this.#root, account.site, account.username]) ||
      filterWithin(filter, [...this.#root, account.site, 'kpi'])
    );
  }
}

function refuse(reason: RefusalReason, detail: string): PublishDecision {
  return { ok: false, reason, detail };
}
