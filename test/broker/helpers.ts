/**
 * Helpers for the broker tests: a real broker on loopback (port 0) with an inventory built here,
 * mqtt.js clients, and Debian's mosquitto_pub / mosquitto_sub run as child processes with
 * bounded timeouts. Secrets are hashed once per test file (scrypt N=16384 is slowish).
 */
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Inventory, inventorySchema } from '../../src/config/inventory.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createBroker, type Broker, type GatewayStatusCause, type PublishContext } from '../../src/broker/index.ts';
import { createLogger } from '../../src/log.ts';
import { hashSecret } from '../../src/secret.ts';

export const ROOT = 'community/v1';
export const SECRETS = {
  'gw-east': 'east-secret',
  'gw-west': 'west-secret',
  'gw-oak': 'oak-secret',
  watcher: 'watch-secret',
} as const;
const HASHED = Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [k, hashSecret(v)])) as Record<
  keyof typeof SECRETS,
  string
>;

/** Two sites; gw-east has bin-01 and gate-north, gw-west has bin-02, gw-oak (another site) has bin-01. */
export function testInventory(): Inventory {
  return new Inventory(
    inventorySchema.parse({
      sites: [
        {
          id: 'maple-court',
          households: 10,
          gateways: [
            {
              id: 'gw-east',
              secret: HASHED['gw-east'],
              devices: [
                { id: 'bin-01', type: 'waste-bin', model: 'generic-v1' },
                { id: 'gate-north', type: 'access-gate', model: 'generic-v1' },
              ],
            },
            {
              id: 'gw-west',
              secret: HASHED['gw-west'],
              devices: [{ id: 'bin-02', type: 'waste-bin', model: 'generic-v1' }],
            },
          ],
        },
        {
          id: 'oak-park',
          households: 5,
          gateways: [
            {
              id: 'gw-oak',
              secret: HASHED['gw-oak'],
              devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }],
            },
          ],
        },
      ],
    }),
  );
}

/** The `mqtt` config section with the schema's defaults, port 0 and an observer account. */
export function mqttConfig(overrides: Record<string, unknown> = {}) {
  return configSchema.parse({
    pseudonymKey: 'k'.repeat(32),
    mqtt: { host: '127.0.0.1', port: 0, observers: [{ username: 'watcher', secret: HASHED.watcher }], ...overrides },
  }).mqtt;
}

/** A started broker with everything it reported recorded. */
export interface TestBroker {
  broker: Broker;
  port: number;
  tlsPort?: number;
  wsPort?: number;
  published: PublishContext[];
  statuses: { site: string; gateway: string; online: boolean; cause: GatewayStatusCause }[];
  logs: Record<string, unknown>[];
  /** Replace to hold or fail publishes; default resolves at once. */
  onPublish: (ctx: PublishContext) => Promise<void>;
  stop(): Promise<void>;
}

/** Start a broker on loopback; `stop()` it in afterEach/afterAll. */
export async function startBroker(
  overrides: Record<string, unknown> = {},
  extra: { packetCeilingBytes?: number; now?: () => number; redisUrl?: string } = {},
): Promise<TestBroker> {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const t = { published: [], statuses: [], logs, onPublish: async () => {} } as unknown as TestBroker;
  const broker = createBroker({
    config: mqttConfig(overrides),
    inventory: testInventory(),
    logger: createLogger('debug', sink),
    onPublish: (ctx) => {
      t.published.push(ctx);
      return t.onPublish(ctx);
    },
    onGatewayStatus: (site, gateway, online, cause) => t.statuses.push({ site, gateway, online, cause }),
    ...extra,
  });
  const ports = await broker.start();
  return Object.assign(t, { broker, ...ports, stop: () => broker.stop() });
}

/** A promise with its resolve and reject exposed. */
export function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Connect an mqtt.js client that never reconnects; the caller ends it. */
export function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...opts }, false);
}

/** Connect with mqtt.js and return how the CONNECT was answered. */
export async function connectError(url: string, opts: IClientOptions): Promise<{ code?: number; message: string }> {
  try {
    const c = await connect(url, opts);
    await c.endAsync(true);
    return { message: 'connected' };
  } catch (e) {
    return { code: (e as { code?: number }).code, message: (e as Error).message };
  }
}

/** Log lines with `reason`. */
export function refusalLogs(t: TestBroker, reason: string): Record<string, unknown>[] {
  return t.logs.filter((l) => l.reason === reason);
}

/** Outcome of a child process. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running mosquitto_pub / mosquitto_sub, killed after `timeoutMs` at the latest. */
export function run(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): { done: Promise<Run>; exited: () => boolean; kill: () => void; output: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      exited = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, exited: () => exited, kill: () => child.kill('SIGKILL'), output: () => stdout };
}

/** How mosquitto_pub is given its message: `-m` text, `-n` (empty) or `-f` a file. */
export type Message = string | { m: string } | { n: true } | { f: string };

/** mosquitto_pub at QoS 1 on 127.0.0.1:`port`; `auth` undefined = anonymous. */
export function mosquittoPub(
  port: number,
  auth: [string, string] | undefined,
  topic: string,
  message: Message,
  more: string[] = [],
) {
  const creds = auth ? ['-u', auth[0], '-P', auth[1]] : [];
  const m = typeof message === 'string' ? { m: message } : message;
  const body = 'm' in m ? ['-m', m.m] : 'n' in m ? ['-n'] : ['-f', m.f];
  return run('/usr/bin/mosquitto_pub', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    ...creds,
    '-q',
    '1',
    '-t',
    topic,
    ...body,
    ...more,
  ]);
}

/** mosquitto_sub on 127.0.0.1:`port`, killed after `timeoutMs` at the latest. */
export function mosquittoSub(
  port: number,
  auth: [string, string],
  topic: string,
  more: string[] = [],
  timeoutMs?: number,
) {
  return run(
    '/usr/bin/mosquitto_sub',
    ['-h', '127.0.0.1', '-p', String(port), '-u', auth[0], '-P', auth[1], '-q', '1', '-t', topic, ...more],
    timeoutMs,
  );
}

/** The telemetry topic of a device. */
export function telemetry(site: string, gateway: string, device: string): string {
  return `${ROOT}/${site}/${gateway}/${device}/telemetry`;
}

/** Subscribe and return the SUBACK's return codes as sent (mqtt.js turns any 0x80 into an error). */
export function suback(c: MqttClient, filters: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  return new Promise((resolve) => {
    const onPacket = (p: { cmd: string; granted?: unknown }): void => {
      if (p.cmd !== 'suback') return;
      c.off('packetreceive', onPacket);
      resolve(p.granted as number[]);
    };
    c.on('packetreceive', onPacket);
    c.subscribe(filters, () => {});
  });
}

/** A raw MQTT 3.1.1 CONNECT packet with username and password [MQTT-3.1]. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  // protocol name, level 4, flags: username | password | clean session, keepalive 60 s
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)]);
  if (body.length > 127) throw new Error('keep the test CONNECT short (one-byte Remaining Length)');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/** One broker for a test file (or describe block), its URL, and the clients to end after each test. */
export interface BrokerRig {
  t: TestBroker;
  url: string;
  /** Ended after each test. */
  clients: MqttClient[];
}

/** Registers the hooks that start a {@link startBroker} broker before the tests and stop it after. */
export function useBroker(): BrokerRig {
  const rig = { clients: [] as MqttClient[] } as BrokerRig;
  beforeAll(async () => {
    rig.t = await startBroker();
    rig.url = `mqtt://127.0.0.1:${rig.t.port}`;
  });
  afterEach(async () => {
    await Promise.all(rig.clients.splice(0).map((c) => c.endAsync(true)));
  });
  afterAll(async () => {
    await rig.t?.stop();
  });
  return rig;
}
