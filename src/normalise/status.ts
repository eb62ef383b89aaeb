/**
 * Gateway status (docs/contract.md §2): `{root}/{site}/{gateway}/status` carries `online` or
 * `offline`, retained, and is also the gateway's Last Will. It becomes a `gateway_status` point
 * (docs/contract.md §4).
 */
import { nsFromMs, type Point } from '../point.ts';

/** `true` for `online`, `false` for `offline`, undefined for anything else (surrounding whitespace ignored). */
export function parseStatusPayload(payload: Buffer | string): boolean | undefined {
  const s = (typeof payload === 'string' ? payload : payload.toString('utf8')).trim();
  if (s === 'online') return true;
  if (s === 'offline') return false;
  return undefined;
}

/**
 * The `gateway_status` point for a status message received at `receivedAt` (epoch ms), at its
 * arrival slot `offset` (stamp.ts: two status messages of a gateway in one millisecond are two points).
 */
export function gatewayStatusPoint(
  site: string,
  gateway: string,
  online: boolean,
  receivedAt: number,
  offset = 0,
): Point {
  return {
    measurement: 'gateway_status',
    tags: { site, gateway },
    fields: { online },
    time: nsFromMs(receivedAt, offset),
  };
}
