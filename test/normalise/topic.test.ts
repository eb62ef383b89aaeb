import { describe, expect, it } from 'vitest';
import { gatewayStatusPoint, parseStatusPayload } from '../../src/normalise/status.ts';
import { deviceTopic, parseTopic, statusTopic } from '../../src/normalise/topic.ts';

describe('parseTopic (docs/contract.md §2)', () => {
  it('parses device telemetry and event topics under the default root', () => {
    expect(parseTopic('community/v1/maple-court/gw-east/bin-01/telemetry')).toEqual({
      kind: 'device',
      site: 'maple-court',
      gateway: 'gw-east',
      device: 'bin-01',
      channel: 'telemetry',
    });
    expect(parseTopic('community/v1/maple-court/gw-east/gate-north/event')).toEqual({
      kind: 'device',
      site: 'maple-court',
      gateway: 'gw-east',
      device: 'gate-north',
      channel: 'event',
    });
  });

  it('parses the gateway status topic', () => {
    expect(parseTopic('community/v1/maple-court/gw-east/status')).toEqual({
      kind: 'status',
      site: 'maple-court',
      gateway: 'gw-east',
    });
  });

  it('honours a configured root, with or without surrounding slashes', () => {
    expect(parseTopic('acme/hub/x/s1/g1/d1/event', 'acme/hub/x')).toMatchObject({
      site: 's1',
      gateway: 'g1',
      device: 'd1',
    });
    expect(parseTopic('acme/s1/g1/status', '/acme/')).toEqual({ kind: 'status', site: 's1', gateway: 'g1' });
    expect(parseTopic('community/v1/s1/g1/d1/event', 'acme')).toBeUndefined();
  });

  it.each([
    'community/v1/s1/g1/d1/readings',
    'community/v1/s1/g1/d1',
    'community/v1/s1/g1/d1/event/extra',
    'community/v1/s1/g1',
    'community/v1/s1/+/d1/event',
    'community/v1/s1/g1/#',
    'community/v1/S1/g1/d1/event',
    'community/v1//g1/d1/event',
    'community/v2/s1/g1/d1/event',
    'community/v1/s1/kpi/sorting_coverage',
    'xcommunity/v1/s1/g1/d1/event',
    '',
  ])('refuses %j', (topic) => {
    expect(parseTopic(topic)).toBeUndefined();
  });

  it('builds the topics it parses', () => {
    expect(parseTopic(deviceTopic('s1', 'g1', 'd1', 'event'))).toEqual({
      kind: 'device',
      site: 's1',
      gateway: 'g1',
      device: 'd1',
      channel: 'event',
    });
    expect(statusTopic('s1', 'g1', 'a/b')).toBe('a/b/s1/g1/status');
  });
});

describe('gateway status', () => {
  it('reads online/offline and nothing else', () => {
    expect(parseStatusPayload(Buffer.from('online'))).toBe(true);
    expect(parseStatusPayload(' offline\n')).toBe(false);
    expect(parseStatusPayload('ONLINE')).toBeUndefined();
    expect(parseStatusPayload('')).toBeUndefined();
  });

  it('makes a gateway_status point at arrival time', () => {
    expect(gatewayStatusPoint('s1', 'g1', false, 1_795_737_600_123)).toEqual({
      measurement: 'gateway_status',
      tags: { site: 's1', gateway: 'g1' },
      fields: { online: false },
      time: '1795737600123000000',
    });
  });
});
