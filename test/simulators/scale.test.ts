/**
 * Load, bounded: the 1,000-gateway, 20,000-device scenario connects every gateway from this one
 * process to an in-process hub and publishes one round (the first simulated hour: every device
 * reports once), and the hub stores what the ledger expects. About 2,000 sockets on loopback (both
 * ends in this process): well under `ulimit -n` here (20,000; the test checks for 4,096).
 * Figures of longer runs: simulators/README.md, "Load".
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadScenario, resolveWindow, simulate } from '../../simulators/index.ts';
import { startSimHub, type SimHub } from './helpers.ts';

const SCENARIO = fileURLToPath(new URL('../../simulators/scenarios/large.yaml', import.meta.url));
let sim: SimHub | undefined;

afterAll(async () => {
  await sim?.stop();
});

describe('1,000 gateways and 20,000 devices from one process', () => {
  it('connects every gateway and publishes one round that the hub stores in full', async () => {
    const fds = Number(execFileSync('bash', ['-c', 'ulimit -n']).toString().trim());
    expect(fds, 'open-file limit (ulimit -n) too low for 2,000 loopback sockets').toBeGreaterThanOrEqual(4096);
    const scenario = loadScenario(SCENARIO);
    const gateways = scenario.sites.reduce((a, s) => a + s.gateways.length, 0);
    const devices = scenario.sites.reduce((a, s) => a + s.gateways.reduce((b, g) => b + g.devices.length, 0), 0);
    expect([gateways, devices]).toEqual([1000, 20_000]);

    // One round: the first hour of the last whole day (start auto), so the hub runs on the wall clock.
    const window = resolveWindow(scenario, { until: 3_600_000 });
    // Ingest only: the hub's KPI scheduler (50 sites) is not what this measures.
    sim = await startSimHub(scenario, { mqtt: { maxConnections: 2000 }, kpi: false });
    const { ledger, stats, wallMs } = await simulate({ scenario, window, url: sim.url, detail: 'none' });
    await sim.drained(120_000);

    expect(stats.connectFailures).toBe(0);
    expect(stats.unconfirmed).toBe(0);
    expect(ledger.totals.byKind.status).toBe(2 * gateways); // each gateway: online, then offline
    expect(ledger.totals.byKind.bin_reading! + ledger.totals.byKind.gate_reading!).toBeGreaterThanOrEqual(devices);
    expect(await sim.count('SELECT count("fill_pct") FROM bin_level')).toBe(ledger.expected.points.bin_level);
    expect(await sim.count('SELECT count("heartbeat") FROM device_health')).toBe(ledger.expected.points.device_health);
    const online = await sim.count('SELECT count("online") FROM gateway_status GROUP BY gateway');
    expect(online).toBeGreaterThanOrEqual(gateways);
    process.stdout.write(
      `scale: ${ledger.totals.messages} messages from ${gateways} gateways in ${(wallMs / 1000).toFixed(1)} s (${Math.round(ledger.totals.messages / (wallMs / 1000))} msg/s, connects included)\n`,
    );
  }, 300_000);
});
