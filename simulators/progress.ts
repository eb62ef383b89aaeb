/**
 * What a person sees while a simulation runs (issue "Progress and summary"): on a terminal one
 * status line refreshed in place; otherwise (CI, a pipe, a log file) a line every few seconds.
 */
import type { LedgerFile } from './ledger.ts';
import type { PublishStats } from './publisher.ts';
import { isoLocal } from './time.ts';

/** Options of {@link startProgress}. */
export interface ProgressOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Zone in which simulated time is shown. */
  timezone: string;
  /** Gateways in the scenario. */
  gateways: number;
  /** Seconds between lines when not on a terminal. */
  everySeconds?: number;
}

/** Start reporting `stats`; `stop()` prints the last state and ends the line. */
export function startProgress(stats: PublishStats, o: ProgressOptions): { stop(): void } {
  const tty = o.out.isTTY === true;
  const t0 = Date.now();
  let last = { t: t0, acked: 0 };
  let rate = 0;
  const line = (): string => {
    const now = Date.now();
    if (now - last.t >= 900) {
      rate = ((stats.acked - last.acked) * 1000) / (now - last.t);
      last = { t: now, acked: stats.acked };
    }
    const sim = stats.simMs ? isoLocal(stats.simMs, o.timezone).slice(0, 16).replace('T', ' ') : '—';
    return `sim ${sim} | sent ${stats.dispatched} | acked ${stats.acked} | refused ${stats.unconfirmed + stats.connectFailures} | in flight ${stats.inFlight} | gateways ${stats.connected}/${o.gateways} | ${Math.round(rate)} msg/s`;
  };
  const timer = setInterval(
    () => o.out.write(tty ? `\r${line()}\x1b[K` : `community-sim: ${line()}\n`),
    tty ? 250 : (o.everySeconds ?? 10) * 1000,
  );
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      o.out.write(tty ? `\r${line()}\x1b[K\n` : `community-sim: ${line()}\n`);
    },
  };
}

/** The closing summary of a run or a dry run. */
export function summary(l: LedgerFile, extra: { ledgerFile?: string; wallMs?: number } = {}): string {
  const t = l.totals;
  const e = l.expected;
  const list = (r: Record<string, number>): string =>
    Object.entries(r)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const lines = [
    `community-sim: scenario ${l.scenario.name} (seed ${l.scenario.seed}), window ${l.window.start} → ${l.window.end ?? 'open'}`,
    `  messages   ${t.messages} settled: ${t.acked} acknowledged, ${t.unconfirmed} unconfirmed; ${t.deadLetterMessages} for the dead letters`,
    `  by kind    ${list(t.byKind)}`,
    `  faults     ${list(t.byFault)}; ${t.disconnects} connections dropped`,
    `  expected   points: ${list(e.points)}`,
    `  dead       ${list(e.deadLetters.byReason)}`,
  ];
  if (extra.wallMs !== undefined) {
    const s = extra.wallMs / 1000;
    const connected =
      typeof l.run.allConnectedSeconds === 'number'
        ? `; every gateway connected after ${l.run.allConnectedSeconds} s`
        : '';
    lines.push(
      `  time       ${s.toFixed(1)} s, ${Math.round(t.acked / Math.max(s, 1e-3))} msg/s acknowledged${connected}`,
    );
  }
  lines.push(`  stream     sha256 ${l.streamHash}`);
  if (extra.ledgerFile) lines.push(`  ledger     ${extra.ledgerFile}`);
  return `${lines.join('\n')}\n`;
}
