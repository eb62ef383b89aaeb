/** Listeners: TLS and WebSocket alongside TCP; binding errors; stop() leaves nothing running. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHubError } from '../../src/errors.ts';
import { connect, connectError, mosquittoPub, startBroker, telemetry, type TestBroker } from './helpers.ts';

const EAST = { username: 'gw-east', password: 'east-secret' };
const TOPIC = telemetry('maple-court', 'gw-east', 'bin-01');
let dir: string;
let cert: string;
let key: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'broker-tls-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    {
      stdio: 'ignore',
      timeout: 30_000,
    },
  );
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS and WebSocket', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startBroker({ tlsPort: 0, tlsCertFile: cert, tlsKeyFile: key, websocketPort: 0 });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('binds three distinct ports', () => {
    expect(new Set([t.port, t.tlsPort, t.wsPort]).size).toBe(3);
    expect(t.tlsPort).toBeGreaterThan(0);
    expect(t.wsPort).toBeGreaterThan(0);
  });

  it('accepts a gateway over TLS (mqtt.js and mosquitto_pub)', async () => {
    const c = await connect(`mqtts://127.0.0.1:${t.tlsPort}`, { ...EAST, rejectUnauthorized: false });
    await c.publishAsync(TOPIC, '{"via":"tls"}', { qos: 1 });
    await c.endAsync();
    const r = await mosquittoPub(t.tlsPort!, ['gw-east', 'east-secret'], TOPIC, '{"via":"mosquitto-tls"}', [
      '--cafile',
      cert,
      '--insecure',
    ]).done;
    expect(r.code).toBe(0);
    expect(t.published.slice(-2).map((p) => p.payload.toString())).toEqual([
      '{"via":"tls"}',
      '{"via":"mosquitto-tls"}',
    ]);
  });

  it('accepts a gateway over WebSocket, with the same authentication', async () => {
    const c = await connect(`ws://127.0.0.1:${t.wsPort}/mqtt`, EAST);
    await c.publishAsync(TOPIC, '{"via":"ws"}', { qos: 1 });
    await c.endAsync();
    expect(t.published.at(-1)!.payload.toString()).toBe('{"via":"ws"}');
    expect(
      await connectError(`ws://127.0.0.1:${t.wsPort}/mqtt`, { username: 'gw-east', password: 'nope' }),
    ).toMatchObject({ code: 4 });
  });
});

describe('start and stop', () => {
  it('stop() disconnects clients, closes every listener and can be called twice', async () => {
    const t = await startBroker({ tlsPort: 0, tlsCertFile: cert, tlsKeyFile: key, websocketPort: 0 });
    const c = await connect(`mqtt://127.0.0.1:${t.port}`, {
      ...EAST,
      will: { topic: 'community/v1/maple-court/gw-east/status', payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    let closed = false;
    c.on('close', () => (closed = true));
    // A socket stuck before its TLS handshake must not hold stop() up.
    const raw = netConnect(t.tlsPort!, '127.0.0.1');
    let rawClosed = false;
    raw.on('error', () => {});
    raw.on('close', () => (rawClosed = true));
    await new Promise((resolve) => raw.once('connect', resolve));
    await expect
      .poll(() => t.broker.stats().connections === 1, { timeout: 5_000, message: 'the MQTT connection' })
      .toBeTruthy();
    await t.stop();
    await expect
      .poll(() => closed && rawClosed, { timeout: 5_000, message: 'both connections to be closed' })
      .toBeTruthy();
    expect(t.broker.stats()).toMatchObject({ listening: false, connections: 0, clients: 0, gateways: [] });
    // The hub stopping is not the gateway going offline: no Will, no status report.
    expect(t.statuses).toEqual([]);
    expect(t.published).toEqual([]);
    for (const port of [t.port, t.tlsPort, t.wsPort]) {
      expect(await connectError(`mqtt://127.0.0.1:${port}`, EAST)).toMatchObject({
        message: expect.stringMatching(/ECONNREFUSED/),
      });
    }
    await t.stop();
    await c.endAsync(true);
  });

  it('a port in use fails start() with HUB_ERR_LISTEN and leaves nothing bound', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const err = await startBroker({ websocketPort: port }).catch((e: unknown) => e);
      expect(isHubError(err, 'HUB_ERR_LISTEN')).toBe(true);
      expect((err as Error).message).toContain('mqtt.websocketPort');
    } finally {
      taken.close();
    }
  });

  it('a TLS port without cert and key fails start() with HUB_ERR_CONFIG_INVALID', async () => {
    const err = await startBroker({ tlsPort: 0 }).catch((e: unknown) => e);
    expect(isHubError(err, 'HUB_ERR_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('mqtt.tlsCertFile');
  });
});
