/**
 * CONNECT with fast-scheme secrets (src/secret.ts, docs/contract.md §1): a real broker on loopback,
 * mqtt.js over TCP. A gateway and an observer with `hmac-sha256$…` secrets get in with the right
 * secret and are refused (CONNACK 4) with a wrong one; a scrypt gateway in the same inventory still
 * works, and an unknown username is refused like a wrong secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker, type PublishContext } from '../../src/broker/index.ts';
import { Inventory, inventorySchema } from '../../src/config/inventory.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { generateSecret, hashSecret } from '../../src/secret.ts';
import { connect, connectError, telemetry } from './helpers.ts';

const FAST = generateSecret();
const OBSERVER = generateSecret();
const SLOW = 'a person chose this';

describe('CONNECT with fast-scheme secrets (mqtt.js over TCP)', () => {
  let broker: Broker;
  let url: string;
  const published: PublishContext[] = [];

  beforeAll(async () => {
    const inventory = new Inventory(
      inventorySchema.parse({
        sites: [
          {
            id: 'maple-court',
            households: 2,
            gateways: [
              {
                id: 'gw-fast',
                secret: hashSecret(FAST, 'fast'),
                devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }],
              },
              { id: 'gw-slow', secret: hashSecret(SLOW) },
            ],
          },
        ],
      }),
    );
    const config = configSchema.parse({
      pseudonymKey: 'k'.repeat(32),
      mqtt: {
        host: '127.0.0.1',
        port: 0,
        authCacheTtl: 0, // every CONNECT is checked against the stored secret
        observers: [{ username: 'watcher', secret: hashSecret(OBSERVER, 'fast') }],
      },
    }).mqtt;
    broker = createBroker({
      config,
      inventory,
      logger: createLogger('silent'),
      onPublish: async (ctx) => void published.push(ctx),
    });
    const { port } = await broker.start();
    url = `mqtt://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('admits a gateway with its generated secret and delivers its publish', async () => {
    const client = await connect(url, { username: 'gw-fast', password: FAST, clientId: 'fast-1' });
    try {
      await client.publishAsync(telemetry('maple-court', 'gw-fast', 'bin-01'), '{"battery":77}', { qos: 1 });
      // QoS 1: the PUBACK comes only after the broker handed the publish on (acknowledged means kept).
      expect(published[0]).toMatchObject({ site: 'maple-court', gateway: 'gw-fast', device: 'bin-01' });
    } finally {
      await client.endAsync(true);
    }
  });

  it('refuses a wrong or missing secret and an unknown username with CONNACK 4', async () => {
    const wrong = await connectError(url, { username: 'gw-fast', password: generateSecret(), clientId: 'x1' });
    expect(wrong.code).toBe(4);
    const truncated = await connectError(url, { username: 'gw-fast', password: FAST.slice(0, -1), clientId: 'x2' });
    expect(truncated.code).toBe(4);
    const none = await connectError(url, { username: 'gw-fast', clientId: 'x3' });
    expect(none.code).toBe(4);
    const unknown = await connectError(url, { username: 'gw-nobody', password: FAST, clientId: 'x4' });
    expect(unknown.code).toBe(4);
    const swapped = await connectError(url, { username: 'gw-slow', password: FAST, clientId: 'x5' });
    expect(swapped.code).toBe(4);
  });

  it('admits an observer with a fast-scheme secret and a scrypt gateway beside them', async () => {
    const watcher = await connect(url, { username: 'watcher', password: OBSERVER, clientId: 'w' });
    await watcher.endAsync(true);
    const slow = await connect(url, { username: 'gw-slow', password: SLOW, clientId: 's' });
    await slow.endAsync(true);
    const wrong = await connectError(url, { username: 'watcher', password: FAST, clientId: 'w2' });
    expect(wrong.code).toBe(4);
  });
});
