/** Access rules (docs/contract.md §2): publish and subscribe refusals, observers. */
import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { Acl, type Account } from '../../src/broker/acl.ts';
import { filterWithin, levelsAfter, rootLevels } from '../../src/broker/topic.ts';
import { connect, mosquittoPub, mosquittoSub, refusalLogs, ROOT, suback, telemetry, useBroker } from './helpers.ts';

const EAST = { username: 'gw-east', password: 'east-secret' };
const b = useBroker();

async function client(opts: Parameters<typeof connect>[1]): Promise<MqttClient> {
  const c = await connect(b.url, opts);
  b.clients.push(c);
  return c;
}

describe('publish refusals close the connection and never reach onPublish', () => {
  it.each([
    ['another gateway of the same site', telemetry('maple-court', 'gw-west', 'bin-02'), 'publish_foreign'],
    ['its own id under another site', telemetry('oak-park', 'gw-east', 'bin-01'), 'publish_foreign'],
    ['another root', 'community/v2/maple-court/gw-east/bin-01/telemetry', 'publish_foreign'],
    ['an unknown channel', `${ROOT}/maple-court/gw-east/bin-01/config`, 'publish_bad_topic'],
    ['a wildcard topic (+)', `${ROOT}/maple-court/gw-east/+/telemetry`, 'publish_wildcard'],
    ['a wildcard topic (#)', `${ROOT}/maple-court/gw-east/#`, 'publish_wildcard'],
  ])('mqtt.js, %s', async (_what, topic, reason) => {
    const before = b.t.broker.stats().refusals[reason as 'publish_foreign'];
    const published = b.t.published.length;
    const c = await client(EAST);
    let acked = false;
    c.on('packetreceive', (p) => p.cmd === 'puback' && (acked = true));
    let closed = false;
    c.on('close', () => (closed = true));
    c.publishAsync(topic, '{}', { qos: 1 }).catch(() => {});
    await expect.poll(() => closed, { timeout: 5_000, message: 'the broker to close the connection' }).toBeTruthy();
    expect(acked).toBe(false);
    expect(b.t.published.length).toBe(published);
    await expect
      .poll(() => b.t.broker.stats().refusals[reason as 'publish_foreign'] === before + 1, {
        timeout: 5_000,
        message: 'the refusal count',
      })
      .toBeTruthy();
    // aedes refuses wildcards before asking the ACL, and its error does not carry the topic.
    expect(refusalLogs(b.t, reason).at(-1)).toMatchObject(
      reason === 'publish_wildcard' ? { username: 'gw-east' } : { username: 'gw-east', topic },
    );
  });

  it('mosquitto_pub to a foreign topic: the connection is lost, nothing recorded', async () => {
    const published = b.t.published.length;
    const r = await mosquittoPub(
      b.t.port,
      ['gw-east', 'east-secret'],
      telemetry('maple-court', 'gw-west', 'bin-02'),
      '{}',
    ).done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The connection was lost');
    expect(b.t.published.length).toBe(published);
  });
});

describe('subscribe', () => {
  it('grants its own subtree and its site KPIs; refuses the rest with SUBACK 0x80 and keeps the connection', async () => {
    const before = b.t.broker.stats().refusals.subscribe_denied;
    const c = await client(EAST);
    const filters = {
      [`${ROOT}/maple-court/gw-east/#`]: 1,
      [`${ROOT}/maple-court/kpi/#`]: 1,
      [`${ROOT}/maple-court/kpi/sorting_coverage`]: 0,
      [`${ROOT}/#`]: 128,
      [`${ROOT}/maple-court/gw-west/#`]: 128,
      [`${ROOT}/maple-court/+/status`]: 128,
      [`${ROOT}/oak-park/kpi/#`]: 128,
      '#': 128,
    };
    const granted = await suback(
      c,
      Object.fromEntries(Object.entries(filters).map(([f, g]) => [f, { qos: g === 128 ? 1 : (g as 0 | 1) }])),
    );
    expect(granted).toEqual(Object.values(filters));
    expect(b.t.broker.stats().refusals.subscribe_denied).toBe(before + 5);
    // Still connected and able to publish.
    await c.publishAsync(telemetry('maple-court', 'gw-east', 'bin-01'), '{}', { qos: 1 });
  });

  it('mosquitto_sub outside the subtree: all subscriptions denied', async () => {
    const r = await mosquittoSub(b.t.port, ['gw-east', 'east-secret'], `${ROOT}/#`, ['-C', '1', '-W', '10']).done;
    expect(r.stderr).toContain('All subscription requests were denied.');
  });

  it('a gateway receives the hub’s KPI values for its site', async () => {
    const c = await client(EAST);
    await c.subscribeAsync(`${ROOT}/maple-court/kpi/#`, { qos: 1 });
    const got = new Promise<string>((resolve) =>
      c.on('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)),
    );
    // The hub's own publish (client null) is allowed.
    await new Promise<void>((resolve, reject) =>
      b.t.broker.aedes.publish(
        {
          cmd: 'publish',
          topic: `${ROOT}/maple-court/kpi/sorting_coverage`,
          payload: Buffer.from('{"value":0.9}'),
          qos: 1,
          retain: true,
          dup: false,
        },
        (e) => (e ? reject(e) : resolve()),
      ),
    );
    expect(await got).toBe(`${ROOT}/maple-court/kpi/sorting_coverage {"value":0.9}`);
  });
});

describe('observers', () => {
  it('mosquitto_sub as an observer on community/v1/# receives a gateway’s message', async () => {
    const sub = mosquittoSub(b.t.port, ['watcher', 'watch-secret'], `${ROOT}/#`, ['-v', '-R', '-C', '1', '-W', '10']); // -R: skip retained messages
    await expect
      .poll(() => b.t.logs.some((l) => l.msg === 'mqtt subscribed' && l.username === 'watcher'), {
        timeout: 5_000,
        message: 'mosquitto_sub to subscribe',
      })
      .toBeTruthy();
    const r = await mosquittoPub(
      b.t.port,
      ['gw-east', 'east-secret'],
      telemetry('maple-court', 'gw-east', 'gate-north'),
      '{"door":"closed"}',
    ).done;
    expect(r.code).toBe(0);
    const out = await sub.done;
    expect(out.stdout.trim()).toBe(`${telemetry('maple-court', 'gw-east', 'gate-north')} {"door":"closed"}`);
  });

  it('an observer may not subscribe outside the root', async () => {
    const c = await client({ username: 'watcher', password: 'watch-secret' });
    expect(
      await suback(c, {
        '#': { qos: 1 },
        '$SYS/#': { qos: 1 },
        'community/#': { qos: 1 },
        [`${ROOT}/+/kpi/#`]: { qos: 1 },
      }),
    ).toEqual([128, 128, 128, 1]);
  });

  it('an observer cannot publish', async () => {
    const before = b.t.broker.stats().refusals.publish_observer;
    const published = b.t.published.length;
    const r = await mosquittoPub(
      b.t.port,
      ['watcher', 'watch-secret'],
      telemetry('maple-court', 'gw-east', 'bin-01'),
      '{}',
    ).done;
    expect(r.code).not.toBe(0);
    expect(b.t.published.length).toBe(published);
    expect(b.t.broker.stats().refusals.publish_observer).toBe(before + 1);
  });
});

describe('Acl and topic helpers', () => {
  const acl = new Acl(rootLevels('community/v1'));
  const gw: Account = { kind: 'gateway', username: 'gw', site: 's' };
  const east: Account = { kind: 'gateway', username: 'gw-east', site: 'maple-court' };

  it('compares levels, not string prefixes', () => {
    expect(levelsAfter('community/v1/s/gw-1/x', ['community', 'v1', 's', 'gw'])).toBeUndefined();
    expect(acl.publish(gw, 'community/v1/s/gw-1/status')).toMatchObject({ ok: false, reason: 'publish_foreign' });
    expect(acl.subscribe(gw, 'community/v1/s/gw-1/#')).toBe(false);
    expect(filterWithin('community/v1/s/gw', ['community', 'v1', 's', 'gw'])).toBe(true);
  });

  it('routes the allowed topics', () => {
    expect(acl.publish(east, 'community/v1/maple-court/gw-east/status')).toEqual({
      ok: true,
      route: { site: 'maple-court', gateway: 'gw-east', channel: 'status' },
    });
    expect(acl.publish(east, 'community/v1/maple-court/gw-east/gate-north/event')).toEqual({
      ok: true,
      route: { site: 'maple-court', gateway: 'gw-east', device: 'gate-north', channel: 'event' },
    });
    expect(acl.publish(east, 'community/v1/maple-court/gw-east/bin-01/telemetry/extra')).toMatchObject({
      ok: false,
      reason: 'publish_bad_topic',
    });
    expect(acl.publish(east, 'community/v1/maple-court/gw-east')).toMatchObject({
      ok: false,
      reason: 'publish_bad_topic',
    });
  });

  it('works with a root of one or several levels', () => {
    const deep = new Acl(rootLevels('/a/b/c/'));
    expect(deep.publish(east, 'a/b/c/maple-court/gw-east/status')).toMatchObject({ ok: true });
    expect(deep.publish(east, 'community/v1/maple-court/gw-east/status')).toMatchObject({
      ok: false,
      reason: 'publish_foreign',
    });
    expect(deep.subscribe({ kind: 'observer', username: 'o' }, 'a/b/c/#')).toBe(true);
    expect(deep.subscribe({ kind: 'observer', username: 'o' }, 'a/b/#')).toBe(false);
  });
});
