/**
 * HTTP ingest when the hub cannot make a message durable (docs/contract.md §6; docs/api.md
 * "HTTP ingest" and docs/operations.md "The spool"): real hubs, a real spool on disk and a real InfluxDB, no mocks.
 *
 * - Spool full: a tiny `spool.maxBytes`, a short `spool.backpressureTimeout` and InfluxDB
 *   unreachable (a closed loopback port), so the drainer frees no room. POSTs are answered 202
 *   until the spool is full, then 503 with `Retry-After` and `HUB_ERR_SPOOL_FULL`. Every message
 *   answered 202 is in the spool on disk; after a restart on the same data directory with the real
 *   InfluxDB each is there exactly once, the refused one is not, until it is sent again.
 * - Shutting down: POSTs racing `hub.stop()` get 202 or 503 (or a refused or reset connection once
 *   the listener closes), never a 202 for a message that is then lost.
 *
 * Two faults this test found, fixed in src/api/server.ts and src/hub.ts: a request arriving on a
 * kept-alive connection while the API closed got fastify's bare 503 (no HUB_ERR_* code, no
 * Retry-After), and `hub.stop()` waited for every kept-alive socket that was busy when the close
 * began to reach fastify's keepAliveTimeout (72 s), far beyond `shutdown.timeout`. The race test
 * keeps its client's keep-alive sockets open until the stop has finished, so it would hang again.
 */
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/hub.ts';
import { connectInflux, type InfluxConnection } from '../../src/store/index.ts';
import { dropDatabase } from '../e2e/helpers.ts';
import {
  depositEvent,
  drainedWithin,
  GATEWAY,
  SECRET,
  spooledEventIds,
  storedEvents,
  writeHubFiles,
  type HubFiles,
} from '../durability/helpers.ts';
import { startTestHub } from '../helpers/hub.ts';
import { deadUrl } from '../helpers/influx.ts';
import { sharedInflux, sharedSettings, uniqueName } from '../helpers/influx-shared.ts';

const DATABASE = uniqueName('api_ingest_503');
const PATH = `maple-court/${GATEWAY}/bin-01/event`;
const AUTH = `Basic ${Buffer.from(`${GATEWAY}:${SECRET}`).toString('base64')}`;

/** A hub built from `files` and started in this process, with its HTTP API's base URL. */
interface RunningHub {
  hub: Hub;
  http: string;
  logs: Record<string, unknown>[];
}

const started: Hub[] = [];
const dirs: string[] = [];

async function start(files: HubFiles): Promise<RunningHub> {
  const { hub, httpUrl, logs } = await startTestHub(files);
  started.push(hub);
  return { hub, http: httpUrl, logs };
}

/** The shared InfluxDB (with its credentials, if any) as overrides of the `influx` section. */
function sharedInfluxSection(): Record<string, unknown> {
  const { token, username, password } = sharedInflux();
  return { ...(token ? { token } : {}), ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** POST deposit event `i` (id `e-<i>`) as the gateway. */
function postEvent(h: RunningHub, i: number): Promise<Response> {
  return fetch(`${h.http}/api/v1/ingest/${PATH}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: depositEvent(i),
  });
}

function conn(): InfluxConnection {
  return connectInflux(sharedSettings({ database: DATABASE }));
}

const ids = (indices: Iterable<number>): string[] => [...indices].map((i) => `e-${i}`).sort();

afterAll(async () => {
  for (const hub of started) await hub.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  await dropDatabase(conn());
});

describe('HTTP ingest with a full spool and InfluxDB unreachable', () => {
  const MAX_BYTES = 8 * 1024;
  let files: HubFiles;
  let first: RunningHub;
  const accepted: number[] = [];
  let refused: number | undefined;

  it('answers 202 until the spool is full, then 503 with Retry-After and HUB_ERR_SPOOL_FULL; every 202 is in the spool on disk', async () => {
    files = await writeHubFiles({
      influxUrl: await deadUrl(),
      database: DATABASE,
      spool: { maxBytes: MAX_BYTES, backpressureTimeout: '200ms' },
    });
    dirs.push(files.dir);
    // The hub starts although InfluxDB is down: it spools meanwhile.
    first = await start(files);
    expect(first.logs.some((l) => l.msg === 'InfluxDB not reachable at start; spooling until it is')).toBe(true);

    let last: Response | undefined;
    for (let i = 0; i < 1000; i++) {
      const r = await postEvent(first, i);
      if (r.status !== 202) {
        refused = i;
        last = r;
        break;
      }
      // A deposit event gives more than one point (the deposit and what it derives).
      const answer = (await r.json()) as { accepted: number; rejected: unknown[] };
      expect(answer.accepted).toBeGreaterThan(0);
      expect(answer.rejected).toEqual([]);
      accepted.push(i);
    }
    expect(last, 'the spool never filled within 1000 posts').toBeDefined();
    expect(accepted.length).toBeGreaterThan(0);
    expect(last!.status).toBe(503);
    expect(last!.headers.get('retry-after')).toBe('5');
    expect(last!.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await last!.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('HUB_ERR_SPOOL_FULL');
    expect(body.error.message).toBe(
      `spool full (spool.maxBytes ${MAX_BYTES}) for 200 ms: not acknowledged, send again later`,
    );

    // Still full (the drainer cannot reach InfluxDB): refused again, not acknowledged.
    const again = await postEvent(first, refused!);
    expect(again.status).toBe(503);
    expect(again.headers.get('retry-after')).toBe('5');
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_SPOOL_FULL');

    const spool = first.hub.stats().spool!;
    expect(spool.bytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(spool.records).toBe(accepted.length);
    expect(spool.refused).toBe(2);
    expect(first.hub.stats().ingest).toMatchObject({ messages: accepted.length + 2, failed: 2 });
    // Exactly what was answered 202 is on disk: nothing acknowledged is missing, the refused is absent.
    expect([...(await spooledEventIds(files.spoolDir))].sort()).toEqual(ids(accepted));
  });

  it('once InfluxDB is reachable, holds every message answered 202 exactly once and not the refused one, until it is sent again', async () => {
    expect(refused, 'the previous test filled the spool').toBeDefined();
    await first.hub.stop();
    // The spool kept its records across the stop.
    expect([...(await spooledEventIds(files.spoolDir))].sort()).toEqual(ids(accepted));

    // The same data directory, now with the run's real InfluxDB.
    await writeHubFiles({
      dir: files.dir,
      influxUrl: sharedInflux().url,
      database: DATABASE,
      influx: sharedInfluxSection(),
      spool: { maxBytes: MAX_BYTES, backpressureTimeout: '200ms' },
    });
    const second = await start(files);
    expect(second.logs.some((l) => l.msg === 'spool: replaying what an earlier run left')).toBe(true);
    await drainedWithin(second.hub, 20_000);
    const stored = await storedEvents(conn());
    expect([...stored.ids].sort()).toEqual(ids(accepted));
    expect(stored.rows).toBe(accepted.length);
    expect(stored.ids.has(`e-${refused!}`)).toBe(false);

    // Sent again, with room now, it is acknowledged and stored.
    const r = await postEvent(second, refused!);
    expect(r.status).toBe(202);
    await drainedWithin(second.hub, 20_000);
    const after = await storedEvents(conn());
    expect([...after.ids].sort()).toEqual(ids([...accepted, refused!]));
    expect(after.rows).toBe(accepted.length + 1);
    await second.hub.stop();
  });
});

/** What one POST got: an HTTP answer, or none at all (connection refused or reset while stopping). */
type Outcome =
  { i: number; status: number; retryAfter: string | undefined; body: string } | { i: number; error: string };

/** POST deposit event `i` over `agent` (node:http, so the test can close its keep-alive sockets). */
function postOver(agent: http.Agent, h: RunningHub, i: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = depositEvent(i);
    const req = http.request(
      `${h.http}/api/v1/ingest/${PATH}`,
      {
        method: 'POST',
        agent,
        headers: { authorization: AUTH, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ i, status: res.statusCode ?? 0, retryAfter, body: Buffer.concat(chunks).toString() });
        });
        res.on('error', (e) => resolve({ i, error: e.message }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ i, error: e.code ?? e.message }));
    req.end(body);
  });
}

describe('HTTP ingest racing hub.stop()', () => {
  it('answers POSTs racing the shutdown with 202 (then durable) or 503 (then absent), never a 202 for a message that is lost', async () => {
    const files = await writeHubFiles({ influxUrl: await deadUrl(), database: DATABASE });
    dirs.push(files.dir);
    // InfluxDB unreachable: whatever was answered 202 can only be in the spool, checked on disk.
    const h = await start(files);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const WORKERS = 8;
    const outcomes: Outcome[] = [];
    let stop: Promise<void> | undefined;
    // Each worker posts one message after another; once 40 are answered the hub is stopped while
    // the others are in flight, and each worker goes on until it gets something other than a 202.
    const worker = async (w: number): Promise<void> => {
      for (let n = 0; n < 10_000; n++) {
        const outcome = await postOver(agent, h, 1_000_000 + w * 10_000 + n);
        outcomes.push(outcome);
        if (!stop && outcomes.length >= 40) stop = h.hub.stop();
        if (stop && !('status' in outcome && outcome.status === 202)) return;
      }
    };
    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      // The client's keep-alive sockets stay open meanwhile: the stop must not wait for them (it
      // once waited for the 72 s keep-alive timeout; the 30 s test timeout would catch that).
      await stop;
    } finally {
      agent.destroy();
    }

    const answered = outcomes.filter((o): o is Extract<Outcome, { status: number }> => 'status' in o);
    const accepted = answered.filter((o) => o.status === 202).map((o) => o.i);
    const refused = answered.filter((o) => o.status === 503);
    const unanswered = outcomes.filter((o): o is Extract<Outcome, { error: string }> => 'error' in o);
    // Only 202 or 503; no 500 or other status, however the request met the shutdown.
    expect(answered.filter((o) => o.status !== 202 && o.status !== 503)).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(40 - WORKERS);
    // The race happened: every worker ended with something other than a 202 after stop() began.
    expect(refused.length + unanswered.length).toBe(WORKERS);
    // A 503 is the hub's own refusal, with its code and Retry-After, never fastify's bare one.
    for (const o of refused) {
      expect(JSON.parse(o.body), o.body).toMatchObject({ error: { code: 'HUB_ERR_WRITER_CLOSED' } });
      expect(o.retryAfter).toBe('5');
    }
    // Unanswered requests failed at the socket: refused or reset, never a timeout.
    for (const o of unanswered) expect(o.error).toMatch(/^(ECONNREFUSED|ECONNRESET|EPIPE|socket hang up)$/);

    // Every message answered 202 is on disk in the spool; none answered 503 is.
    const spooled = await spooledEventIds(files.spoolDir);
    expect(ids(accepted).filter((id) => !spooled.has(id))).toEqual([]);
    expect(refused.filter((o) => spooled.has(`e-${o.i}`))).toEqual([]);
    // Nothing is in the spool that was not sent: each spooled id was answered 202 or not at all.
    const sent = new Set(ids([...accepted, ...unanswered.map((o) => o.i)]));
    expect([...spooled].filter((id) => !sent.has(id))).toEqual([]);

    // And, once InfluxDB is reachable, in InfluxDB.
    await writeHubFiles({
      dir: files.dir,
      influxUrl: sharedInflux().url,
      database: DATABASE,
      influx: sharedInfluxSection(),
    });
    const next = await start(files);
    await drainedWithin(next.hub, 20_000);
    const stored = (await storedEvents(conn())).ids;
    expect(ids(accepted).filter((id) => !stored.has(id))).toEqual([]);
    expect(refused.filter((o) => stored.has(`e-${o.i}`))).toEqual([]);
    await next.hub.stop();
  });
});
