/** Packet size, keepalive and connect-timeout limits. */
import { connect as netConnect } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PacketScanner } from '../../src/broker/packet-guard.ts';
import { connect, connectPacket, refusalLogs, startBroker, suback, telemetry, type TestBroker } from './helpers.ts';

const EAST = { username: 'gw-east', password: 'east-secret' };
const TOPIC = telemetry('maple-court', 'gw-east', 'bin-01');
const clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

function closed(c: MqttClient): () => boolean {
  let done = false;
  c.on('close', () => (done = true));
  return () => done;
}

describe('packet size (maxPacketBytes 1 KiB, ceiling 4 KiB)', () => {
  let t: TestBroker;
  let url: string;
  beforeAll(async () => {
    t = await startBroker({ maxPacketBytes: '1KiB' });
    url = `mqtt://127.0.0.1:${t.port}`;
  });
  afterAll(async () => {
    await t.stop();
  });

  it('passes a PUBLISH above maxPacketBytes but below the ceiling to onPublish (the pipeline keeps it as `oversized`)', async () => {
    const c = await connect(url, EAST);
    clients.push(c);
    await c.publishAsync(TOPIC, Buffer.alloc(2_000, 0x20), { qos: 1 });
    expect(t.published.at(-1)!.payload.length).toBe(2_000);
  });

  it('closes the connection at the header of a PUBLISH above the ceiling; nothing reaches onPublish', async () => {
    const c = await connect(url, EAST);
    clients.push(c);
    const isClosed = closed(c);
    const published = t.published.length;
    c.publishAsync(TOPIC, Buffer.alloc(100_000, 0x20), { qos: 1 }).catch(() => {});
    await expect.poll(isClosed, { timeout: 5_000, message: 'the broker to close the connection' }).toBeTruthy();
    expect(t.published.length).toBe(published);
    expect(refusalLogs(t, 'packet_too_large').at(-1)!.detail).toMatch(/^PUBLISH packet of 1000\d\d bytes, limit 4096$/);
  });

  it('holds other packets to maxPacketBytes', async () => {
    const c = await connect(url, EAST);
    clients.push(c);
    const isClosed = closed(c);
    const before = t.broker.stats().refusals.packet_too_large;
    void suback(c, { [`${telemetry('maple-court', 'gw-east', 'x'.repeat(2_000))}`]: { qos: 1 } });
    await expect.poll(isClosed, { timeout: 5_000, message: 'the broker to close the connection' }).toBeTruthy();
    expect(t.broker.stats().refusals.packet_too_large).toBe(before + 1);
  });
});

describe('keepalive and connect timeout', () => {
  let t: TestBroker;
  let url: string;
  beforeAll(async () => {
    t = await startBroker({ maxKeepaliveSeconds: 1, connectTimeout: '300ms' });
    url = `mqtt://127.0.0.1:${t.port}`;
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each([0, 3600])(
    'a keepalive of %i is capped to maxKeepaliveSeconds: a silent client is disconnected [MQTT-3.1.2-24]',
    async (keepalive) => {
      const c = await connect(url, { ...EAST, keepalive });
      clients.push(c);
      const isClosed = closed(c);
      await expect.poll(isClosed, { timeout: 10_000, message: 'the keepalive to expire' }).toBeTruthy();
      expect(t.logs.some((l) => String(l.msg).startsWith('mqtt keepalive timeout'))).toBe(true);
    },
  );

  it('closes a connection that sends no CONNECT in time', async () => {
    const socket = netConnect(t.port, '127.0.0.1');
    let ended = false;
    socket.on('close', () => (ended = true));
    socket.on('error', () => {});
    await expect.poll(() => ended, { timeout: 10_000, message: 'the connect timeout' }).toBeTruthy();
    await expect
      .poll(() => t.broker.stats().connections === 0, { timeout: 5_000, message: 'the connection count to drop' })
      .toBeTruthy();
  });
});

describe('connections that leave early', () => {
  it('a client that hangs up during authentication is not counted as a session', async () => {
    const t = await startBroker({ maxConnections: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const socket = netConnect(t.port, '127.0.0.1');
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.end(connectPacket(`leaver-${i}`, 'gw-east', 'east-secret')); // FIN right after CONNECT, during scrypt
        socket.destroy();
      }
      await expect
        .poll(() => t.broker.stats().connections === 0, { timeout: 5_000, message: 'the sockets to close' })
        .toBeTruthy();
      expect(t.broker.stats().clients).toBe(0);
      // The single session slot is still free.
      const c = await connect(`mqtt://127.0.0.1:${t.port}`, EAST);
      await c.endAsync();
    } finally {
      await t.stop();
    }
  });
});

describe('PacketScanner', () => {
  const limits = { publish: 200, other: 50 };
  /** A fixed header for `type` with a remaining length of `n`, and `n` body bytes. */
  function packet(type: number, n: number): Buffer {
    const len: number[] = [];
    let x = n;
    do {
      let b = x % 128;
      x = Math.floor(x / 128);
      if (x > 0) b |= 0x80;
      len.push(b);
    } while (x > 0);
    return Buffer.concat([Buffer.from([type << 4, ...len]), Buffer.alloc(n)]);
  }

  it('follows packets across chunks of any size and flags the first too large', () => {
    const stream = Buffer.concat([packet(1, 40), packet(3, 150), packet(12, 0), packet(3, 199), packet(8, 60)]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const s = new PacketScanner(limits);
      let violation;
      for (let i = 0; i < stream.length && !violation; i += size) violation = s.push(stream.subarray(i, i + size));
      expect(violation, `chunks of ${size}`).toEqual({ type: 3, bytes: 202, limit: 200 });
    }
  });

  it('applies the smaller limit to packets other than PUBLISH, and counts the fixed header', () => {
    expect(new PacketScanner(limits).push(packet(8, 47))).toBeUndefined(); // 1 + 1 + 47 = 49
    expect(new PacketScanner(limits).push(packet(8, 49))).toEqual({ type: 8, bytes: 51, limit: 50 });
  });

  it('refuses a Remaining Length of more than four bytes [MQTT-2.2.3]', () => {
    expect(new PacketScanner(limits).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toEqual({
      type: 3,
      limit: 200,
    });
  });

  it('reads a two-byte Remaining Length', () => {
    expect(new PacketScanner({ publish: 1_000, other: 1_000 }).push(packet(3, 16_383).subarray(0, 3))).toEqual({
      type: 3,
      bytes: 16_386,
      limit: 1_000,
    });
  });
});
