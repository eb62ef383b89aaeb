/**
 * The raw ceiling of the throughput bench (docs/benchmarks.md): the very points the hub writes for
 * the workload — the simulator's payloads through the hub's own normaliser and line protocol
 * (src/normalise, `toLineProtocol`) — posted straight to InfluxDB's `/write`, 5,000 lines per
 * request, two requests in flight. No broker, no spool: what InfluxDB itself takes on this machine.
 */
import type { DeviceType } from '../../src/config/inventory.ts';
import { createNormaliser, loadRegistry } from '../../src/normalise/index.ts';
import type { Point } from '../../src/point.ts';
import { toLineProtocol } from '../../src/store/index.ts';
import { createDatabase, writeLines } from './influx.ts';
import { baseTime, binId, gatewayId, payloadOf, POINTS_PER_MESSAGE, SITE, type Workload } from './workload.ts';

/** Line protocol of `messages` readings spread over `w`'s bins, as the hub would write them. */
export async function workloadLines(w: Workload, messages: number, t0 = baseTime()): Promise<string[]> {
  return (await workloadPoints(w, messages, t0)).flat().map(toLineProtocol);
}

/** The points of `messages` readings spread over `w`'s bins, one array per message, as the hub makes them. */
export async function workloadPoints(w: Workload, messages: number, t0 = baseTime()): Promise<Point[][]> {
  const normaliser = createNormaliser({
    models: await loadRegistry(),
    pseudonymKey: 'bench-pseudonym-key-0123456789abcdef',
  });
  const bins = w.gateways * w.binsPerGateway;
  const out: Point[][] = [];
  for (let i = 0; i < messages; i++) {
    const g = i % w.gateways;
    const b = Math.floor(i / w.gateways) % w.binsPerGateway;
    const n = Math.floor(i / bins);
    const device = {
      site: SITE,
      gateway: gatewayId(g),
      id: binId(g, b),
      type: 'waste-bin' as DeviceType,
      model: 'generic-v1',
      building: 'none',
    };
    const r = normaliser.normalise({
      site: SITE,
      gateway: device.gateway,
      device,
      channel: 'telemetry',
      payload: Buffer.from(payloadOf(t0, n)),
      receivedAt: Date.now(),
    });
    if (r.rejects.length > 0 || r.points.length !== POINTS_PER_MESSAGE)
      throw new Error(`the normaliser did not make ${POINTS_PER_MESSAGE} points: ${JSON.stringify(r.rejects)}`);
    out.push(r.points);
  }
  return out;
}

/** Messages per second (3 lines each) InfluxDB takes as raw line protocol, into `db`. */
export async function ceilingRate(influxUrl: string, db: string, lines: string[]): Promise<number> {
  await createDatabase(influxUrl, db);
  const seconds = await writeLines(influxUrl, db, lines);
  return lines.length / POINTS_PER_MESSAGE / seconds;
}
