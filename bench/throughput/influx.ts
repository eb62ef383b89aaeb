/**
 * InfluxDB for the throughput bench, over its plain 1.x HTTP API (fetch, so the counting does not
 * share code with what it counts): create and drop databases, count the workload's points, and
 * the raw ceiling — line protocol posted straight to `/write`.
 */
import { performance } from 'node:perf_hooks';

/** Runs one InfluxQL statement; returns the first series' values. */
export async function influxQuery(
  url: string,
  db: string,
  q: string,
  method: 'GET' | 'POST' = 'GET',
): Promise<unknown[][]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q })}`, { method });
  const body = (await res.json()) as {
    results?: { error?: string; series?: { values: unknown[][] }[] }[];
    error?: string;
  };
  const r = body.results?.[0];
  if (!res.ok || body.error || r?.error) throw new Error(`InfluxDB ${q}: ${body.error ?? r?.error ?? res.status}`);
  return r?.series?.[0]?.values ?? [];
}

export const createDatabase = (url: string, db: string): Promise<unknown> =>
  influxQuery(url, db, `CREATE DATABASE "${db}"`, 'POST');
export const dropDatabase = (url: string, db: string): Promise<unknown> =>
  influxQuery(url, db, `DROP DATABASE "${db}"`, 'POST');

/** Points of the workload in `db` (device_health + bin_level), optionally of one gateway. */
export async function countPoints(url: string, db: string, gateway?: string): Promise<number> {
  const where = gateway ? ` WHERE "gateway" = '${gateway}'` : '';
  const [health, level] = await Promise.all([
    influxQuery(url, db, `SELECT count("battery_pct") FROM "device_health"${where}`),
    influxQuery(url, db, `SELECT count("fill_pct") FROM "bin_level"${where}`),
  ]);
  return Number(health[0]?.[1] ?? 0) + Number(level[0]?.[1] ?? 0);
}

/**
 * Polls until `db` holds `expected` points or stops growing for `stallMs`; returns the count and
 * the epoch ms it was first seen (for the end-to-end rate).
 */
export async function waitForPoints(
  url: string,
  db: string,
  expected: number,
  stallMs = 30_000,
): Promise<{ count: number; atMs: number }> {
  let last = -1;
  let changedAt = performance.now();
  for (;;) {
    const count = await countPoints(url, db);
    const atMs = Date.now();
    if (count >= expected) return { count, atMs };
    if (count !== last) {
      last = count;
      changedAt = performance.now();
    } else if (performance.now() - changedAt > stallMs) return { count, atMs };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Posts `lines` to `/write` in bodies of `batch` lines, `inFlight` requests at a time; seconds taken. */
export async function writeLines(
  url: string,
  db: string,
  lines: string[],
  batch = 5000,
  inFlight = 2,
): Promise<number> {
  const bodies: string[] = [];
  for (let i = 0; i < lines.length; i += batch) bodies.push(lines.slice(i, i + batch).join('\n'));
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${url}/write?db=${encodeURIComponent(db)}&precision=ns`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`InfluxDB /write answered ${res.status}: ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (performance.now() - t0) / 1000;
}
