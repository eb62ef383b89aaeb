/**
 * `mqtt.listenBacklog` (docs/configuration.md): the kernel's accept queue of each MQTT listener,
 * read back with `ss` (iproute2), which shows a listening socket's backlog as its Send-Q. Node's
 * default of 511 reset connections in a reconnect storm of 10,000 gateways (docs/benchmarks.md).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { startBroker, type TestBroker } from './helpers.ts';

let t: TestBroker | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** The backlog of the socket listening on 127.0.0.1:`port`, as `ss -ltn` reports it. */
function backlogOf(port: number): number {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  // State Recv-Q Send-Q Local:Port Peer:Port; for a listening socket Send-Q is the backlog.
  const fields = out.split(/\s+/);
  expect(fields[0]).toBe('LISTEN');
  return Number(fields[2]);
}

it('passes mqtt.listenBacklog to listen(), up to the kernel cap', async () => {
  const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  const wanted = Math.min(1234, cap);
  t = await startBroker({ listenBacklog: wanted });
  expect(backlogOf(t.port)).toBe(wanted);
});

it('defaults to 4096 (or the kernel cap, when lower), not Node’s 511', async () => {
  const cap = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  t = await startBroker();
  expect(backlogOf(t.port)).toBe(Math.min(4096, cap));
});

it('refuses a backlog that is not a positive integer', () => {
  for (const listenBacklog of [0, -1, 1.5, 70_000, '4096']) {
    const r = configSchema.safeParse({ pseudonymKey: 'k'.repeat(32), mqtt: { listenBacklog } });
    expect(r.success, String(listenBacklog)).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['mqtt', 'listenBacklog']);
  }
});
