/**
 * MQTT topics (docs/contract.md §2):
 *
 * - `{root}/{site}/{gateway}/{device}/telemetry` and `…/event`, published by gateways;
 * - `{root}/{site}/{gateway}/status`, retained, `online` / `offline` (also the Last Will).
 *
 * The root defaults to `community/v1` and may itself contain `/`.
 */
import { ID_PATTERN } from '../config/inventory.ts';
import type { Channel } from './model.ts';

/** Default topic root (docs/contract.md §2). */
export const DEFAULT_TOPIC_ROOT = 'community/v1';

/** A parsed device topic. */
export interface DeviceTopic {
  kind: 'device';
  site: string;
  gateway: string;
  device: string;
  channel: Channel;
}

/** A parsed gateway status topic. */
export interface StatusTopic {
  kind: 'status';
  site: string;
  gateway: string;
}

/** What `parseTopic` recognises. */
export type ParsedTopic = DeviceTopic | StatusTopic;

/**
 * Parse a topic under `root`. Returns undefined for anything else: another root, a wrong number of
 * levels, an unknown channel, or a level that breaks the id rule of docs/contract.md §1 (this
 * also refuses the wildcards `+` and `#`).
 */
export function parseTopic(topic: string, root: string = DEFAULT_TOPIC_ROOT): ParsedTopic | undefined {
  const prefix = `${trimSlashes(root)}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const levels = topic.slice(prefix.length).split('/');
  if (!levels.every((l) => ID_PATTERN.test(l))) return undefined;
  const [site, gateway, third, fourth] = levels as [string, string, string?, string?];
  if (levels.length === 3 && third === 'status') return { kind: 'status', site, gateway };
  if (levels.length === 4 && third !== undefined && (fourth === 'telemetry' || fourth === 'event')) {
    return { kind: 'device', site, gateway, device: third, channel: fourth };
  }
  return undefined;
}

/** The topic a gateway publishes a device's `channel` on. */
export function deviceTopic(
  site: string,
  gateway: string,
  device: string,
  channel: Channel,
  root: string = DEFAULT_TOPIC_ROOT,
): string {
  return `${trimSlashes(root)}/${site}/${gateway}/${device}/${channel}`;
}

/** The retained status topic of a gateway. */
export function statusTopic(site: string, gateway: string, root: string = DEFAULT_TOPIC_ROOT): string {
  return `${trimSlashes(root)}/${site}/${gateway}/status`;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
