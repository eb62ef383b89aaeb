/**
 * The throughput bench's figures as Markdown (printed, and with `--write-doc` the block of
 * docs/benchmarks.md): rates, CPU, memory, latency, ratios, and each goal met or not.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { formatCount, formatSpread, percentile, spread, type Spread } from '../stats.ts';
import type { Latencies, RunResult } from './runs.ts';

/** Every run of one contender under one load. */
export interface Series {
  /** `hub`, `peer`, `Node-RED`, or `N hub(s) behind Mosquitto` (external broker mode). */
  contender: string;
  load: string;
  runs: RunResult[];
}

/** The first line a command prints about its version (mosquitto -h exits 3, so its status is ignored). */
const version = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || 'not found').split('\n')[0]!.trim();
};

/** One line on the machine and software the figures come from. */
export function machineLine(reps: number, seconds: number): string {
  const cpu = cpus()[0]?.model ?? '?';
  return `Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} × ${cpu}, node ${process.version}, ${version('influxd', ['version'])}, ${version('mosquitto', ['-h'])}; ${reps} repetitions of ${seconds} s flat out each (median, min–max).`;
}

const of = (s: Series, f: (r: RunResult) => number): Spread => spread(s.runs.map(f));
/** A spread, or a dash when it was not measured (InfluxDB given by `HUB_INFLUX_URL`). */
const cell = (x: Spread): string => (Number.isNaN(x.median) ? '—' : formatSpread(x));

/** The Markdown block. */
export function report(opts: {
  machine: string;
  ceiling: number[];
  series: Series[];
  latency: { contender: string; rate: number; samples: Latencies }[];
}): string {
  const out: string[] = [opts.machine, ''];
  const ceiling = spread(opts.ceiling);
  out.push(
    `Raw ceiling (the hub's own line protocol straight to InfluxDB): **${formatSpread(ceiling)} msg/s** (3 points each).`,
    '',
  );
  out.push(
    '| contender | load | stored msg/s | acked msg/s | CPU µs/msg | generator µs/msg | InfluxDB µs/msg | peak RSS MiB | acked − stored | connect retries |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const s of opts.series) {
    const lost = s.runs.reduce((n, r) => n + (r.acked - r.stored), 0);
    out.push(
      `| ${s.contender} | ${s.load} | ${formatSpread(of(s, (r) => r.storedRate))} | ${formatSpread(of(s, (r) => r.ackRate))} | ${formatSpread(of(s, (r) => r.cpuUsPerMsg))} | ${formatSpread(of(s, (r) => r.generatorUsPerMsg))} | ${cell(of(s, (r) => r.influxUsPerMsg))} | ${formatSpread(of(s, (r) => r.peakMiB))} | ${lost} | ${s.runs.reduce((n, r) => n + r.retries, 0)} |`,
    );
  }
  out.push('');
  out.push(
    '| latency, publish → queryable | at msg/s | samples | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
  );
  for (const l of opts.latency)
    out.push(
      `| ${l.contender} | ${formatCount(l.rate)} | ${l.samples.length} | ${percentile(l.samples, 50).toFixed(0)} | ${percentile(l.samples, 99).toFixed(0)} | ${Math.max(...l.samples).toFixed(0)} |`,
    );
  out.push('');
  const hub = opts.series.find((s) => s.contender === 'hub');
  const peer = opts.series.find((s) => s.contender === 'peer' && s.load === hub?.load);
  if (hub) {
    const hubRate = of(hub, (r) => r.storedRate).median;
    const hubCpu = of(hub, (r) => r.cpuUsPerMsg).median;
    const goals: [string, number, string, boolean][] = [
      [`hub ÷ ceiling, rate (${hub.load})`, hubRate / ceiling.median, '≥ 0.5', hubRate / ceiling.median >= 0.5],
    ];
    // The hub's rate and CPU per message over another contender's (same load).
    const over = (s: Series): [rate: number, cpu: number] => [
      hubRate / of(s, (r) => r.storedRate).median,
      hubCpu / of(s, (r) => r.cpuUsPerMsg).median,
    ];
    if (peer) {
      const [rate, cpu] = over(peer);
      goals.push([`hub ÷ peer, rate (${hub.load})`, rate, '≥ 1.5', rate >= 1.5]);
      goals.push([`hub ÷ peer, CPU per message (${hub.load})`, cpu, '≤ 0.5', cpu <= 0.5]);
    }
    // Node-RED has no goal of its own (docs/benchmarks.md, "Goals"): measured for operators who run it.
    const nodeRed = opts.series.find((s) => s.contender === 'Node-RED' && s.load === hub.load);
    const measured: [string, number][] = [];
    if (nodeRed) {
      const [rate, cpu] = over(nodeRed);
      measured.push([`hub ÷ Node-RED, rate (${hub.load})`, rate]);
      measured.push([`hub ÷ Node-RED, CPU per message (${hub.load})`, cpu]);
    }
    // What the cores allow at all when the hub, the generator and InfluxDB share them: each message
    // costs the machine the sum of the three's CPU (docs/benchmarks.md, "Goals"). Without the hub's
    // share, what a contender that cost nothing could reach here.
    const others = of(hub, (r) => r.generatorUsPerMsg).median + of(hub, (r) => r.influxUsPerMsg).median;
    const cores = cpus().length;
    const hubLatency = opts.latency.find((l) => l.contender === 'hub');
    out.push('| ratio / goal | value | goal | met |', '|---|---|---|---|');
    for (const [label, value, goal, met] of goals)
      out.push(`| ${label} | ${value.toFixed(2)} | ${goal} | ${met ? 'yes' : '**no**'} |`);
    for (const [label, value] of measured) out.push(`| ${label} | ${value.toFixed(2)} | measured | — |`);
    if (!Number.isNaN(others))
      out.push(
        `| ${cores} cores ÷ (hub + generator + InfluxDB) CPU per message (${hub.load}) | ${formatCount((cores * 1e6) / (hubCpu + others))} msg/s | measured | — |`,
        `| ${cores} cores ÷ (generator + InfluxDB) CPU per message: a contender costing nothing (${hub.load}) | ${formatCount((cores * 1e6) / others)} msg/s, ${((cores * 1e6) / others / ceiling.median).toFixed(2)} × ceiling | measured | — |`,
      );
    const one = opts.series.find((s) => s.contender === '1 hub behind Mosquitto');
    const two = opts.series.find((s) => s.contender === '2 hubs behind Mosquitto');
    if (one && two) {
      const rate = (s: Series): number => of(s, (r) => r.storedRate).median;
      out.push(
        `| 2 hubs ÷ 1 hub behind Mosquitto, rate (${two.load}) | ${(rate(two) / rate(one)).toFixed(2)} | measured | — |`,
      );
      out.push(
        `| 1 hub behind Mosquitto ÷ embedded hub, rate (${one.load}) | ${(rate(one) / hubRate).toFixed(2)} | measured | — |`,
      );
    }
    if (hubLatency) {
      const p99 = percentile(hubLatency.samples, 99);
      out.push(
        `| hub p99 publish → queryable at half load | ${p99.toFixed(0)} ms | < 1,000 ms | ${p99 < 1000 ? 'yes' : '**no**'} |`,
      );
    }
  }
  return out.join('\n');
}
