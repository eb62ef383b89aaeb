/**
 * The throughput bench's Markdown (bench/throughput/report.ts): the goals are judged against the
 * peer, and Node-RED's ratios are reported as measured, with no goal.
 */
import { describe, expect, it } from 'vitest';
import { report, type Series } from '../../bench/throughput/report.ts';
import type { RunResult } from '../../bench/throughput/runs.ts';

const LOAD = 'busy: 4 gw × 25 bins, window 500';
const run = (storedRate: number, cpuUsPerMsg: number): RunResult => ({
  acked: 1000,
  stored: 1000,
  ackRate: storedRate,
  storedRate,
  cpuUsPerMsg,
  generatorUsPerMsg: 20,
  influxUsPerMsg: 15,
  peakMiB: 100,
  retries: 0,
});
const series = (contender: string, rate: number, cpu: number): Series => ({
  contender,
  load: LOAD,
  runs: [run(rate, cpu)],
});
const row = (md: string, label: string): string | undefined => md.split('\n').find((l) => l.startsWith(`| ${label}`));

describe('throughput report', () => {
  it('judges the goals against the peer and reports Node-RED as measured', () => {
    const md = report({
      machine: 'test machine',
      ceiling: [100_000],
      series: [series('hub', 30_000, 24), series('peer', 18_000, 66), series('Node-RED', 10_000, 110)],
      latency: [],
    });
    expect(row(md, `hub ÷ peer, rate (${LOAD})`)).toBe(`| hub ÷ peer, rate (${LOAD}) | 1.67 | ≥ 1.5 | yes |`);
    expect(row(md, `hub ÷ peer, CPU per message (${LOAD})`)).toBe(
      `| hub ÷ peer, CPU per message (${LOAD}) | 0.36 | ≤ 0.5 | yes |`,
    );
    expect(row(md, `hub ÷ Node-RED, rate (${LOAD})`)).toBe(`| hub ÷ Node-RED, rate (${LOAD}) | 3.00 | measured | — |`);
    expect(row(md, `hub ÷ Node-RED, CPU per message (${LOAD})`)).toBe(
      `| hub ÷ Node-RED, CPU per message (${LOAD}) | 0.22 | measured | — |`,
    );
    expect(row(md, 'Node-RED | busy')).toContain('| 10,000 |');
  });

  it('says so when a goal is not met, and leaves Node-RED out when it was not run', () => {
    const md = report({
      machine: 'test machine',
      ceiling: [100_000],
      series: [series('hub', 20_000, 40), series('peer', 18_000, 66)],
      latency: [],
    });
    expect(row(md, `hub ÷ peer, rate (${LOAD})`)).toBe(`| hub ÷ peer, rate (${LOAD}) | 1.11 | ≥ 1.5 | **no** |`);
    expect(md).not.toContain('Node-RED');
  });
});
