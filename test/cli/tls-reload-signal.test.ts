/**
 * SIGHUP rotates the MQTT TLS material of a running `community-hub start` (docs/operations.md,
 * "Rotating TLS certificates"), as an operator does it: new CA, hub certificate and gateway
 * certificate copied over the configured files, then `kill -HUP`. Mutual TLS is configured through
 * the environment (HUB_MQTT_TLS_*). A gateway session opened before the rotation (mosquitto_sub)
 * stays up and receives what a gateway with a certificate of the new CA (mosquitto_pub) publishes;
 * a certificate of the old CA is refused afterwards.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { mosquittoPub, run } from '../broker/helpers.ts';
import { issue, makeCa, serverCert, tlsArgs } from '../broker/pki.ts';
import { writeHubFiles } from '../durability/helpers.ts';
import { HubProcess, killAllHubs } from '../helpers/hub-process.ts';
import { sharedInflux, uniqueName } from '../helpers/influx-shared.ts';

const STATUS = 'community/v1/maple-court/gw-east/status';
let hubDir: string | undefined;
let pkiDir: string | undefined;

afterAll(async () => {
  await killAllHubs();
  if (hubDir) await rm(hubDir, { recursive: true, force: true });
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

it('SIGHUP puts a new CA and certificates in force without dropping a live TLS session', async () => {
  const { url, token, username, password } = sharedInflux();
  const files = await writeHubFiles({
    influxUrl: url,
    database: uniqueName('cli_tls_reload'),
    influx: { ...(token ? { token } : {}), ...(username ? { username, password } : {}) },
  });
  hubDir = files.dir;
  const dir = (pkiDir = mkdtempSync(join(tmpdir(), 'tls-reload-')));
  const ca1 = makeCa(dir, 'ca1');
  const server1 = serverCert(dir, ca1, 'server1');
  const east1 = issue(dir, ca1, 'east1', 'gw-east');
  const live = { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  const install = (ca: string, cert: string, key: string): void => {
    copyFileSync(ca, live.ca);
    copyFileSync(cert, live.cert);
    copyFileSync(key, live.key);
  };
  install(ca1.cert, server1.cert, server1.key);

  const hub = await HubProcess.start(files.configPath, {
    HUB_MQTT_TLS_PORT: '0',
    HUB_MQTT_TLS_CERT_FILE: live.cert,
    HUB_MQTT_TLS_KEY_FILE: live.key,
    HUB_MQTT_TLS_CA_FILE: live.ca,
    HUB_MQTT_TLS_CLIENT_CERTS: 'required',
  });
  const tlsPort = String(hub.lines.find((l) => l.msg === 'mqtt broker listening')!.tlsPort);

  // A gateway session made with the old material, waiting for one message on its own status topic.
  const sub = run('/usr/bin/mosquitto_sub', [
    ...['-h', '127.0.0.1', '-p', tlsPort, '-i', 'east-early', '-q', '1', '-t', STATUS, '-C', '1', '-d'],
    ...tlsArgs(ca1, east1),
  ]);
  const connected = (l: Record<string, unknown>): boolean =>
    l.msg === 'mqtt client connected' && l.clientId === 'east-early';
  await hub.waitForLine(connected, 15_000, 'the early session');

  const ca2 = makeCa(dir, 'ca2');
  const server2 = serverCert(dir, ca2, 'server2');
  const east2 = issue(dir, ca2, 'east2', 'gw-east');
  install(ca2.cert, server2.cert, server2.key);
  hub.kill('SIGHUP');
  const reloaded = await hub.waitForLine((l) => l.msg === 'inventory reloaded', 30_000, 'the reload');
  expect(reloaded.tls).toBe('reloaded');

  // New connections: a certificate of the new CA is in, and its message reaches the early session
  // (retained, as a status is: its SUBSCRIBE may land after it). Had the reload dropped that session,
  // its reconnect would fail the handshake, trusting the old CA only, and the message never arrive.
  const port = Number(tlsPort);
  const ok = await mosquittoPub(port, undefined, STATUS, 'online', [...tlsArgs(ca2, east2), '-i', 'east-new', '-r'])
    .done;
  expect(ok.stderr).toBe('');
  expect(ok.code).toBe(0);
  const early = await sub.done;
  expect(early.code).toBe(0);
  expect(early.stdout).toMatch(/^online$/m);
  expect(hub.lines.filter(connected)).toHaveLength(1);
  // …and one of the old CA is refused.
  const old = await mosquittoPub(port, undefined, STATUS, 'online', [...tlsArgs(ca2, east1), '-i', 'east-old']).done;
  expect(old.code).not.toBe(0);
  await vi.waitFor(() => expect(hub.lines.some((l) => l.reason === 'cert_unverified')).toBe(true), {
    timeout: 10_000,
  });

  hub.kill('SIGTERM');
  expect(await hub.exited).toMatchObject({ code: 0 });
});
