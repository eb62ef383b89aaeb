/** CONNECT authentication (docs/contract.md §2): refusals with their CONNACK codes, logged and counted. */
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { connect, connectError, mosquittoPub, refusalLogs, startBroker, telemetry, useBroker } from './helpers.ts';

const TOPIC = telemetry('maple-court', 'gw-east', 'bin-01');
const b = useBroker();

describe('CONNECT with mosquitto_pub', () => {
  it('accepts the right secret and delivers the publish', async () => {
    const r = await mosquittoPub(b.t.port, ['gw-east', 'east-secret'], TOPIC, '{"battery":80}').done;
    expect(r.code).toBe(0);
    expect(b.t.published.at(-1)).toMatchObject({
      site: 'maple-court',
      gateway: 'gw-east',
      device: 'bin-01',
      channel: 'telemetry',
      qos: 1,
    });
    expect(b.t.published.at(-1)!.payload.toString()).toBe('{"battery":80}');
  });

  it.each([
    ['a wrong secret', ['gw-east', 'west-secret'], 'bad_secret', 4, 'bad user name or password'],
    ['an unknown gateway', ['gw-nowhere', 'east-secret'], 'unknown_user', 4, 'bad user name or password'],
    ['a username with +', ['gw+', 'east-secret'], 'bad_username', 4, 'bad user name or password'],
    ['a username with #', ['#', 'east-secret'], 'bad_username', 4, 'bad user name or password'],
    ['a username with /', ['maple-court/gw-east', 'east-secret'], 'bad_username', 4, 'bad user name or password'],
    ['an anonymous client', undefined, 'anonymous', 5, 'not authorised'],
  ] as const)('refuses %s (%s, CONNACK %i)', async (_what, auth, reason, rc, message) => {
    const before = b.t.broker.stats().refusals[reason];
    const published = b.t.published.length;
    const r = await mosquittoPub(b.t.port, auth ? [auth[0], auth[1]] : undefined, TOPIC, '{}').done;
    // mosquitto_pub exits with the CONNACK return code and names it on stderr.
    expect(r.code).toBe(rc);
    expect(r.stderr).toContain(`Connection Refused: ${message}.`);
    expect(b.t.published.length).toBe(published);
    expect(b.t.broker.stats().refusals[reason]).toBe(before + 1);
    const log = refusalLogs(b.t, reason).at(-1)!;
    expect(log.msg).toContain(reason);
    if (auth) expect(log.username).toBe(auth[0]);
  });
});

describe('CONNECT with mqtt.js', () => {
  it('refuses a wrong secret and an unknown gateway alike with return code 4', async () => {
    expect(await connectError(b.url, { username: 'gw-east', password: 'nope' })).toMatchObject({ code: 4 });
    expect(await connectError(b.url, { username: 'gw-ghost', password: 'nope' })).toMatchObject({ code: 4 });
  });

  it('refuses a missing password', async () => {
    const before = b.t.broker.stats().refusals.bad_secret;
    expect(await connectError(b.url, { username: 'gw-east' })).toMatchObject({ code: 4 });
    expect(b.t.broker.stats().refusals.bad_secret).toBe(before + 1);
    expect(refusalLogs(b.t, 'bad_secret').at(-1)!.detail).toBe('no password');
  });

  it('authorises by username, never by client id', async () => {
    // A client id equal to a gateway id gives no rights: the username decides.
    expect(
      await connectError(b.url, { clientId: 'gw-east', username: 'gw-ghost', password: 'east-secret' }),
    ).toMatchObject({ code: 4 });
    // And one account cannot take over another's session by reusing its client id [MQTT-3.1.4-2].
    const east = await connect(b.url, { clientId: 'shared-id', username: 'gw-east', password: 'east-secret' });
    b.clients.push(east);
    let eastClosed = false;
    east.on('close', () => (eastClosed = true));
    const west = await connect(b.url, { clientId: 'shared-id', username: 'gw-west', password: 'west-secret' });
    b.clients.push(west);
    await west.publishAsync(telemetry('maple-court', 'gw-west', 'bin-02'), '{}', { qos: 1 });
    await east.publishAsync(TOPIC, '{}', { qos: 1 });
    expect(eastClosed).toBe(false);
    expect(b.t.published.slice(-2).map((p) => [p.gateway, p.clientId])).toEqual([
      ['gw-west', 'shared-id'],
      ['gw-east', 'shared-id'],
    ]);
  });

  it('accepts an observer account from the config', async () => {
    const c = await connect(b.url, { username: 'watcher', password: 'watch-secret' });
    b.clients.push(c);
    expect(c.connected).toBe(true);
    await expect
      .poll(() => b.t.broker.stats().clients >= 1, { timeout: 5_000, message: 'the observer session' })
      .toBeTruthy();
    expect(b.t.broker.stats().gateways).not.toContain('watcher');
  });
});

describe('connection limit', () => {
  it('refuses a connection over mqtt.maxConnections with CONNACK 3, and admits again once one leaves', async () => {
    const small = await startBroker({ maxConnections: 2 });
    const surl = `mqtt://127.0.0.1:${small.port}`;
    const opened: MqttClient[] = [];
    try {
      opened.push(await connect(surl, { username: 'gw-east', password: 'east-secret' }));
      opened.push(await connect(surl, { username: 'gw-west', password: 'west-secret' }));
      const r = await mosquittoPub(
        small.port,
        ['gw-oak', 'oak-secret'],
        telemetry('oak-park', 'gw-oak', 'bin-01'),
        '{}',
      ).done;
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('Connection Refused: broker unavailable.');
      expect(await connectError(surl, { username: 'watcher', password: 'watch-secret' })).toMatchObject({ code: 3 });
      expect(small.broker.stats().refusals.connection_limit).toBe(2);
      expect(small.published).toEqual([]);

      await opened.shift()!.endAsync();
      await expect
        .poll(() => small.broker.stats().clients === 1, { timeout: 5_000, message: 'the session to close' })
        .toBeTruthy();
      const again = await mosquittoPub(
        small.port,
        ['gw-oak', 'oak-secret'],
        telemetry('oak-park', 'gw-oak', 'bin-01'),
        '{}',
      ).done;
      expect(again.code).toBe(0);
    } finally {
      await Promise.all(opened.map((c) => c.endAsync(true)));
      await small.stop();
    }
  });
});
