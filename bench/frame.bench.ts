/**
 * The spool record of one message on the ingest path (docs/benchmarks-profile.md, "Fifth round"):
 * `spoolRecord` (each point checked) and `frameRecord` (strings, line protocol and payload written
 * into a slab, CRC-32 sealed) for the busy load's messages of the throughput bench, their points
 * made by the hub's own normaliser. Baseline in the same run: copying the payload into a buffer and
 * a CRC-32 of a frame of the same size, the least a checked durable record could cost.
 * `npm run bench -- frame`.
 */
import { crc32 } from '../src/store/spool/frame.ts';
import { frameRecord, spoolRecord, type RecordSource } from '../src/store/spool/record.ts';
import { median, nsPerOp, printTable, type Bench } from './harness.ts';
import { LOADS } from './throughput.bench.ts';
import { workloadPoints } from './throughput/ceiling.ts';
import { baseTime, payloadOf, ROOT } from './throughput/workload.ts';

/** Distinct messages cycled through: more than fit in a CPU cache's worth of points. */
const MESSAGES = 4096;
const ROUNDS = 7;

const bench: Bench = {
  title: 'spool record per message: check + frame of the busy load (ratio = ÷ payload copy + CRC-32, same run)',
  async run(options) {
    const w = Object.values(LOADS)[0]!;
    const t0 = baseTime();
    const points = await workloadPoints(w, MESSAGES, t0);
    const sources: RecordSource[] = points.map((p, i) => {
      const tags = p[0]!.tags;
      return {
        topic: `${ROOT}/${tags.site}/${tags.gateway}/${tags.device}/telemetry`,
        site: tags.site,
        gateway: tags.gateway,
        device: tags.device,
        channel: 'telemetry',
        receivedAt: t0,
        // The same reading as workloadPoints made these points from.
        payload: Buffer.from(payloadOf(t0, Math.floor(i / (w.gateways * w.binsPerGateway)))),
      };
    });
    const frameBytes = sources.map((s, i) => frameRecord(spoolRecord(t0, points[i]!, s)).length);
    const iterations = options.number('iterations', 200_000);
    let i = 0;
    let sink = 0;
    const frame = median(
      Array.from({ length: ROUNDS }, () =>
        nsPerOp(() => {
          const k = i++ & (MESSAGES - 1);
          sink += frameRecord(spoolRecord(t0, points[k]!, sources[k]!)).length;
        }, iterations),
      ),
    );
    const scratch = Buffer.allocUnsafe(Math.max(...frameBytes));
    const copy = median(
      Array.from({ length: ROUNDS }, () =>
        nsPerOp(() => {
          const k = i++ & (MESSAGES - 1);
          sources[k]!.payload.copy(scratch);
          sink += crc32(scratch.subarray(0, frameBytes[k]!));
        }, iterations),
      ),
    );
    if (sink === -1) process.stdout.write(''); // keep the results alive
    const mean = frameBytes.reduce((a, b) => a + b, 0) / frameBytes.length;
    process.stdout.write(`  ${MESSAGES} messages of 3 points, frames of ${mean.toFixed(0)} bytes on average\n`);
    printTable(
      [
        { label: 'spoolRecord + frameRecord', value: frame, unit: 'ns/msg' },
        { label: 'payload copy + CRC-32 (baseline)', value: copy, unit: 'ns/msg' },
      ],
      copy,
      'baseline',
    );
  },
};

export default bench;
