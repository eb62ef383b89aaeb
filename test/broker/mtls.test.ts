/**
 * Mutual TLS for gateways (docs/contract.md §2, "Authentication and access rules"): a client
 * certificate of the operator's CA naming a gateway logs it in without a password, everything else
 * is refused with a counted, logged reason. Each test makes its own CA and certificates with
 * `openssl` and connects with `mosquitto_pub` over the real TLS listener.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isHubError } from '../../src/errors.ts';
import { testDir } from '../helpers/tmp.ts';
import { mosquittoPub, refusalLogs, startBroker, telemetry, type TestBroker } from './helpers.ts';
import { issue, makeCa, serverCert, tlsArgs, type Pem } from './pki.ts';

const EAST_TOPIC = telemetry('maple-court', 'gw-east', 'bin-01');
let t: TestBroker | undefined;

afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** A CA, the hub's certificate, and a broker with `tlsClientCerts: mode` trusting that CA. */
async function rig(mode: 'optional' | 'required'): Promise<{ dir: string; ca: Pem; broker: TestBroker }> {
  const dir = testDir('mtls-');
  const ca = makeCa(dir, 'ca');
  const server = serverCert(dir, ca);
  t = await startBroker({
    tlsPort: 0,
    tlsCertFile: server.cert,
    tlsKeyFile: server.key,
    tlsCaFile: ca.cert,
    tlsClientCerts: mode,
  });
  return { dir, ca, broker: t };
}

/** mosquitto_pub over TLS with client id `id`, optional username/password. */
function pub(b: TestBroker, ca: Pem, client: Pem | undefined, topic: string, auth?: [string, string], id = 'pub-1') {
  return mosquittoPub(b.tlsPort!, auth, topic, '{"fill":42}', [...tlsArgs(ca, client), '-i', id]).done;
}

describe('mqtt.tlsClientCerts: required', () => {
  it('a certificate whose CN is a gateway logs it in without a password; the message is accepted', async () => {
    const { dir, ca, broker } = await rig('required');
    const east = issue(dir, ca, 'gw-east', 'gw-east');
    const r = await pub(broker, ca, east, EAST_TOPIC);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(broker.published).toHaveLength(1);
    expect(broker.published[0]).toMatchObject({ gateway: 'gw-east', site: 'maple-court', clientId: 'pub-1' });
    expect(broker.published[0]!.payload.toString()).toBe('{"fill":42}');
    expect(broker.logs.find((l) => l.msg === 'mqtt client connected')).toMatchObject({
      username: 'gw-east',
      kind: 'gateway',
    });
  });

  it('a DNS subjectAltName naming a gateway works as the CN does; a matching username is fine', async () => {
    const { dir, ca, broker } = await rig('required');
    const west = issue(dir, ca, 'west', 'gateway west', ['DNS:gw-west']);
    const topic = telemetry('maple-court', 'gw-west', 'bin-02');
    expect((await pub(broker, ca, west, topic)).code).toBe(0);
    // A password, if sent, is not what authenticates: the certificate is.
    expect((await pub(broker, ca, west, topic, ['gw-west', 'not-the-secret'], 'pub-2')).code).toBe(0);
    expect(broker.published.map((p) => p.gateway)).toEqual(['gw-west', 'gw-west']);
  });

  it('a certificate of an id the inventory does not have is refused (CONNACK 5, cert_unknown)', async () => {
    const { dir, ca, broker } = await rig('required');
    const stranger = issue(dir, ca, 'stranger', 'gw-nowhere', ['DNS:also-nowhere']);
    const r = await pub(broker, ca, stranger, telemetry('maple-court', 'gw-nowhere', 'bin-01'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authori[sz]ed/i);
    expect(broker.broker.stats().refusals.cert_unknown).toBe(1);
    expect(refusalLogs(broker, 'cert_unknown')[0]).toMatchObject({ detail: expect.stringContaining('"gw-nowhere"') });
    expect(broker.published).toEqual([]);
  });

  it('a certificate naming two gateways is refused unless the username picks one of them', async () => {
    const { dir, ca, broker } = await rig('required');
    const both = issue(dir, ca, 'both', 'gw-east', ['DNS:gw-west']);
    const r = await pub(broker, ca, both, EAST_TOPIC);
    expect(r.code).not.toBe(0);
    expect(refusalLogs(broker, 'cert_unknown')[0]).toMatchObject({ detail: 'certificate names "gw-east", "gw-west"' });
    expect((await pub(broker, ca, both, EAST_TOPIC, ['gw-east', ''], 'pub-2')).code).toBe(0);
    expect(broker.published.map((p) => p.gateway)).toEqual(['gw-east']);
  });

  it('the plain TCP listener keeps password logins (docs/operations.md, "Mutual TLS for gateways")', async () => {
    const { broker } = await rig('required');
    const r = await mosquittoPub(broker.port, ['gw-east', 'east-secret'], EAST_TOPIC, '{"via":"tcp"}').done;
    expect(r.code).toBe(0);
    expect(broker.published.map((p) => p.payload.toString())).toEqual(['{"via":"tcp"}']);
  });

  it('a username that is not the certificate’s gateway is refused (CONNACK 4, cert_mismatch)', async () => {
    const { dir, ca, broker } = await rig('required');
    const east = issue(dir, ca, 'gw-east', 'gw-east');
    // The right password of gw-west does not help: a presented certificate never falls back.
    const r = await pub(broker, ca, east, telemetry('maple-court', 'gw-west', 'bin-02'), ['gw-west', 'west-secret']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad user name or password/i);
    expect(broker.broker.stats().refusals.cert_mismatch).toBe(1);
    expect(refusalLogs(broker, 'cert_mismatch')[0]).toMatchObject({ username: 'gw-west', clientId: 'pub-1' });
    expect(broker.published).toEqual([]);
  });

  it('a certificate signed by another CA is refused (CONNACK 5, cert_unverified)', async () => {
    const { dir, ca, broker } = await rig('required');
    const rogue = makeCa(dir, 'rogue-ca');
    const forged = issue(dir, rogue, 'forged-east', 'gw-east');
    const r = await pub(broker, ca, forged, EAST_TOPIC);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authori[sz]ed/i);
    expect(broker.broker.stats().refusals.cert_unverified).toBe(1);
    expect(refusalLogs(broker, 'cert_unverified')[0]).toMatchObject({
      detail: expect.stringContaining('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    });
    expect(broker.published).toEqual([]);
  });

  it('a TLS connection without a certificate is refused, even with the right password (cert_required)', async () => {
    const { ca, broker } = await rig('required');
    const r = await pub(broker, ca, undefined, EAST_TOPIC, ['gw-east', 'east-secret']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authori[sz]ed/i);
    expect(broker.broker.stats().refusals.cert_required).toBe(1);
    expect(broker.published).toEqual([]);
  });

  it("a certificate login publishing to another gateway's topic is refused by the ACL", async () => {
    const { dir, ca, broker } = await rig('required');
    const east = issue(dir, ca, 'gw-east', 'gw-east');
    const r = await pub(broker, ca, east, telemetry('maple-court', 'gw-west', 'bin-02'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The connection was lost');
    expect(broker.broker.stats().refusals.publish_foreign).toBe(1);
    expect(refusalLogs(broker, 'publish_foreign')[0]).toMatchObject({ username: 'gw-east' });
    expect(broker.published).toEqual([]);
  });
});

describe('mqtt.tlsClientCerts: optional', () => {
  it('without a certificate, the username and password decide', async () => {
    const { ca, broker } = await rig('optional');
    expect((await pub(broker, ca, undefined, EAST_TOPIC, ['gw-east', 'east-secret'])).code).toBe(0);
    const wrong = await pub(broker, ca, undefined, EAST_TOPIC, ['gw-east', 'wrong'], 'pub-2');
    expect(wrong.code).not.toBe(0);
    expect(broker.broker.stats().refusals).toMatchObject({ bad_secret: 1, cert_required: 0 });
    expect(broker.published.map((p) => p.gateway)).toEqual(['gw-east']);
  });

  it('with a certificate, the certificate decides: a good one logs in, a foreign one is refused', async () => {
    const { dir, ca, broker } = await rig('optional');
    const east = issue(dir, ca, 'gw-east', 'gw-east');
    expect((await pub(broker, ca, east, EAST_TOPIC)).code).toBe(0);
    const forged = issue(dir, makeCa(dir, 'rogue-ca'), 'forged', 'gw-east');
    // A bad certificate is not excused by a good password.
    const r = await pub(broker, ca, forged, EAST_TOPIC, ['gw-east', 'east-secret'], 'pub-2');
    expect(r.code).not.toBe(0);
    expect(broker.broker.stats().refusals.cert_unverified).toBe(1);
    expect(broker.published).toHaveLength(1);
  });
});

describe('TLS material at start', () => {
  it('an unreadable, empty or mismatched file fails start() with HUB_ERR_TLS_INVALID naming it', async () => {
    const dir = testDir('mtls-bad-');
    const ca = makeCa(dir, 'ca');
    const server = serverCert(dir, ca);
    const other = serverCert(dir, ca, 'other');
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'no certificate here\n');
    const base = { tlsPort: 0, tlsCertFile: server.cert, tlsKeyFile: server.key, tlsClientCerts: 'required' };
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ tlsCaFile: join(dir, 'missing.pem') }, `mqtt.tlsCaFile: cannot read ${join(dir, 'missing.pem')} (ENOENT)`],
      [{ tlsCaFile: empty }, 'mqtt.tlsCaFile holds no PEM certificate'],
      [{ tlsCaFile: ca.cert, tlsKeyFile: other.key }, /key values mismatch/],
    ];
    for (const [overrides, message] of cases) {
      const err = await startBroker({ ...base, ...overrides }).catch((e: unknown) => e);
      expect(isHubError(err, 'HUB_ERR_TLS_INVALID'), String(err)).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });
});
