/**
 * Mutual TLS end to end (docs/contract.md §2; docs/operations.md, "Mutual TLS for gateways"): a
 * real hub with `mqtt.tlsClientCerts: required` and the run's InfluxDB. A gateway logs in with its
 * certificate and no password (mosquitto_pub), and its event is stored. Then the operator rotates
 * the CA, the hub's certificate and the gateway's, and reloads (`POST /api/v1/admin/reload`, what
 * SIGHUP does): a connection made before the reload stays up and publishes; new connections get
 * the new material (the old CA's certificates are refused); a broken file changes nothing.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, mosquittoPub } from '../broker/helpers.ts';
import { issue, makeCa, serverCert, tlsArgs, type Pem } from '../broker/pki.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { deviceTopic, drained, dropDatabase, startHub, storedPoints, type E2eHub } from './helpers.ts';

const ADMIN = 'mtls-test-admin-key-0123456789';
const TOPIC = deviceTopic('gw-east', 'bin-01', 'event');

/** An event of bin-01 with its own id. */
function deposit(id: string): string {
  return JSON.stringify({
    id,
    ts: '2026-11-27T08:01:12+08:00',
    type: 'deposit',
    household: 'H-3-1203',
    category: 'kitchen',
    weight: 1.2,
    sorting: 'correct',
    auth: 'card',
  });
}

let h: E2eHub;
let dir: string;
let tlsPort: number;
/** The files the hub's config names; a rotation copies new material over them. */
let live: { ca: string; cert: string; key: string };
let ca1: Pem;
let east1: Pem;
let early: MqttClient | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-mtls-'));
  ca1 = makeCa(dir, 'ca1');
  const server1 = serverCert(dir, ca1, 'server1');
  east1 = issue(dir, ca1, 'east1', 'gw-east');
  live = { ca: join(dir, 'live-ca.pem'), cert: join(dir, 'live-cert.pem'), key: join(dir, 'live-key.pem') };
  copyFileSync(ca1.cert, live.ca);
  copyFileSync(server1.cert, live.cert);
  copyFileSync(server1.key, live.key);
  h = await startHub({
    database: uniqueName('e2e_mtls'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    mqtt: { tlsPort: 0, tlsCertFile: live.cert, tlsKeyFile: live.key, tlsCaFile: live.ca, tlsClientCerts: 'required' },
    extra: { adminKey: ADMIN },
  });
  tlsPort = h.logs.find((l) => l.msg === 'mqtt broker listening')!.tlsPort as number;
});
afterAll(async () => {
  await early?.endAsync(true);
  if (h) {
    await dropDatabase(h.conn);
    await h.stop();
  }
  rmSync(dir, { recursive: true, force: true });
});

/** mosquitto_pub over TLS without a username or password. */
function pub(ca: Pem, client: Pem, id: string) {
  return mosquittoPub(tlsPort, undefined, TOPIC, deposit(id), [...tlsArgs(ca, client), '-i', `pub-${id}`]).done;
}

async function reload(): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(`${h.httpUrl}/api/v1/admin/reload`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

/** The issuer CN of the certificate the TLS listener presents now. */
function serverIssuer(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().issuer.CN);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

async function storedIds(): Promise<unknown[]> {
  await drained(h);
  return (await storedPoints(h.conn)).filter((p) => p.measurement === 'deposit').map((p) => p.fields.event_id);
}

describe('mutual TLS', () => {
  it('a certificate login without a password publishes, and the event lands in InfluxDB', async () => {
    const r = await pub(ca1, east1, 'e-cert-1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await storedIds()).toEqual(['e-cert-1']);
  });

  it('a reload with a new CA and certificates keeps live connections; new ones use the new material', async () => {
    early = await connect(`mqtts://127.0.0.1:${tlsPort}`, {
      ca: readFileSync(ca1.cert),
      cert: readFileSync(east1.cert),
      key: readFileSync(east1.key),
      clientId: 'east-early',
    });
    let closed = false;
    early.on('close', () => (closed = true));

    const ca2 = makeCa(dir, 'ca2');
    const server2 = serverCert(dir, ca2, 'server2');
    const east2 = issue(dir, ca2, 'east2', 'gw-east');
    copyFileSync(ca2.cert, live.ca);
    copyFileSync(server2.cert, live.cert);
    copyFileSync(server2.key, live.key);
    const r = await reload();
    expect(r.status).toBe(200);
    expect(h.logs.find((l) => l.msg === 'inventory reloaded')).toMatchObject({ tls: 'reloaded' });

    // The connection made with the old material is still up and still publishes.
    await early.publishAsync(TOPIC, deposit('e-early'), { qos: 1 });
    expect(closed).toBe(false);

    // New connections: the new gateway certificate is accepted…
    expect((await pub(ca2, east2, 'e-cert-2')).code).toBe(0);
    // …the old CA's gateway certificate no longer verifies…
    const before = h.hub.stats().broker!.refusals.cert_unverified;
    const old = await pub(ca2, east1, 'e-old');
    expect(old.code).not.toBe(0);
    expect(h.hub.stats().broker!.refusals.cert_unverified).toBe(before + 1);
    // …and the hub presents its new certificate: a client trusting only the old CA fails the handshake.
    const stale = await pub(ca1, east1, 'e-stale');
    expect(stale.code).not.toBe(0);
    expect(await serverIssuer()).toBe('ca2');

    expect((await storedIds()).sort()).toEqual(['e-cert-1', 'e-cert-2', 'e-early']);
  });

  it('a reload with a broken CA file is refused (422 HUB_ERR_TLS_INVALID) and changes nothing', async () => {
    const ca2 = readFileSync(live.ca);
    writeFileSync(live.ca, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    const invalid = h.hub.stats().inventoryReloads.invalid;
    const reloaded = h.logs.filter((l) => l.msg === 'inventory reloaded').length;
    const r = await reload();
    expect(r.status).toBe(422);
    expect(r.json).toMatchObject({ error: { code: 'HUB_ERR_TLS_INVALID' } });
    expect(h.hub.stats().inventoryReloads.invalid).toBe(invalid + 1);
    // Refused before the inventory is loaded: neither half of the reload happened.
    expect(h.logs.filter((l) => l.msg === 'inventory reloaded')).toHaveLength(reloaded);
    expect(h.logs.at(-1)).toMatchObject({
      level: 50,
      msg: 'TLS reload refused; the running certificates and inventory stay in force',
    });
    // The material in force is still the rotated one.
    const east2: Pem = { cert: join(dir, 'east2.pem'), key: join(dir, 'east2.key') };
    const ca2Pem: Pem = { cert: join(dir, 'ca2.pem'), key: join(dir, 'ca2.key') };
    expect((await pub(ca2Pem, east2, 'e-cert-3')).code).toBe(0);
    writeFileSync(live.ca, ca2);
    expect((await storedIds()).sort()).toEqual(['e-cert-1', 'e-cert-2', 'e-cert-3', 'e-early']);
  });
});
