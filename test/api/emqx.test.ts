/**
 * The EMQX 5 HTTP authentication and authorisation endpoints (src/api/routes/emqx.ts) through
 * fastify.inject on the real API server: answers in EMQX's shape, secrets checked as at the
 * embedded broker's CONNECT (both schemes, observers), topics judged by the same rules, and only a
 * broker key admitted. The routes read no InfluxDB and call nothing of the hub, so those deps are
 * placeholders that fail loudly if touched.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type ApiDeps } from '../../src/api/server.ts';
import { Inventory, inventorySchema } from '../../src/config/inventory.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { hashSecret } from '../../src/secret.ts';

const SECRETS = {
  'gw-east': 'east-secret-0123456789-0123456789-abc',
  'gw-west': 'west-secret',
  'gw-oak': 'oak-secret-0123456789-0123456789-abcd',
  watcher: 'watch-secret',
};
const BROKER_KEY = 'broker-key-0123456789-0123456789-abcd';
const OPERATOR_KEY = 'operator-key-0123456789';
const ROOT = 'community/v1';

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const unused = (what: string) => () => {
  throw new Error(`the EMQX routes must not use ${what}`);
};

let app: FastifyInstance;

beforeAll(async () => {
  const config = configSchema.parse({
    pseudonymKey: 'k'.repeat(32),
    mqtt: { observers: [{ username: 'watcher', secret: hashSecret(SECRETS.watcher) }] },
    http: { brokerKeys: [hashSecret(BROKER_KEY, 'fast')], operatorKeys: [hashSecret(OPERATOR_KEY, 'fast')] },
  });
  const inventory = new Inventory(
    inventorySchema.parse({
      sites: [
        {
          id: 'maple-court',
          households: 10,
          gateways: [
            // One gateway of each scheme: the check is the broker's, whatever the scheme.
            {
              id: 'gw-east',
              secret: hashSecret(SECRETS['gw-east'], 'fast'),
              devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }],
            },
            {
              id: 'gw-west',
              secret: hashSecret(SECRETS['gw-west']),
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
              secret: hashSecret(SECRETS['gw-oak'], 'fast'),
              devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }],
            },
          ],
        },
      ],
    }),
  );
  const deps: ApiDeps = {
    config,
    inventory,
    conn: new Proxy({}, { get: unused('InfluxDB') }) as ApiDeps['conn'],
    writer: new Proxy({}, { get: unused('a writer') }) as ApiDeps['writer'],
    logger: createLogger('silent'),
    hub: {
      ready: unused('hub.ready'),
      stats: () => ({}),
      ingest: unused('hub.ingest'),
      deadLetters: unused('hub.deadLetters'),
      replay: unused('hub.replay'),
    },
  };
  app = await buildServer(deps);
});
afterAll(async () => {
  await app?.close();
});

function authn(body: Record<string, unknown>, headers = bearer(BROKER_KEY)) {
  return app.inject({ method: 'POST', url: '/api/v1/emqx/authn', headers, payload: body });
}
function authz(body: Record<string, unknown>, headers = bearer(BROKER_KEY)) {
  return app.inject({ method: 'POST', url: '/api/v1/emqx/authz', headers, payload: body });
}

describe('POST /api/v1/emqx/authn', () => {
  it('allows a gateway with its secret (fast scheme and scrypt) and an observer, never as superuser', async () => {
    for (const user of ['gw-east', 'gw-west', 'watcher'] as const) {
      const r = await authn({ username: user, password: SECRETS[user], clientid: `${user}-1` });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.json()).toEqual({ result: 'allow', is_superuser: false });
    }
    // Again, answered the same (from the verified-credential cache).
    expect((await authn({ username: 'gw-west', password: SECRETS['gw-west'] })).json()).toEqual({
      result: 'allow',
      is_superuser: false,
    });
  });

  it("denies a wrong secret, another gateway's secret, no password, an unknown user and odd usernames", async () => {
    const cases = [
      { username: 'gw-east', password: 'wrong' },
      { username: 'gw-east', password: SECRETS['gw-oak'] },
      { username: 'gw-west', password: `${SECRETS['gw-west']} ` },
      { username: 'gw-east' },
      { username: 'gw-nobody', password: SECRETS['gw-east'] },
      { username: '', password: SECRETS['gw-east'] },
      { username: 'gw-east/#', password: SECRETS['gw-east'] },
    ];
    for (const body of cases) {
      const r = await authn(body);
      expect(r.statusCode, JSON.stringify(body)).toBe(200);
      expect(r.json(), JSON.stringify(body)).toEqual({ result: 'deny', is_superuser: false });
    }
  });

  it('answers 400 to a body without a username (EMQX takes it as ignore)', async () => {
    const r = await authn({ password: 'x' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.code).toBe('HUB_ERR_VALIDATION');
  });
});

describe('POST /api/v1/emqx/authz', () => {
  const cases: [string, 'publish' | 'subscribe', string, 'allow' | 'deny'][] = [
    ['gw-east', 'publish', `${ROOT}/maple-court/gw-east/bin-01/telemetry`, 'allow'],
    ['gw-east', 'publish', `${ROOT}/maple-court/gw-east/bin-01/event`, 'allow'],
    ['gw-east', 'publish', `${ROOT}/maple-court/gw-east/status`, 'allow'],
    ['gw-east', 'publish', `${ROOT}/maple-court/gw-west/bin-02/telemetry`, 'deny'],
    ['gw-east', 'publish', `${ROOT}/oak-park/gw-east/bin-01/telemetry`, 'deny'],
    ['gw-east', 'publish', `${ROOT}/maple-court/gw-east/bin-01/other`, 'deny'],
    ['gw-east', 'publish', `${ROOT}/maple-court/gw-east/+/telemetry`, 'deny'],
    ['gw-east', 'publish', `${ROOT}/maple-court/kpi/sorting_coverage`, 'deny'],
    ['gw-east', 'subscribe', `${ROOT}/maple-court/gw-east/#`, 'allow'],
    ['gw-east', 'subscribe', `${ROOT}/maple-court/kpi/#`, 'allow'],
    ['gw-east', 'subscribe', `${ROOT}/maple-court/gw-west/#`, 'deny'],
    ['gw-east', 'subscribe', `${ROOT}/#`, 'deny'],
    ['watcher', 'subscribe', `${ROOT}/#`, 'allow'],
    ['watcher', 'publish', `${ROOT}/maple-court/gw-east/bin-01/telemetry`, 'deny'],
    ['gw-nobody', 'publish', `${ROOT}/maple-court/gw-nobody/bin-01/telemetry`, 'deny'],
    ['gw-nobody', 'subscribe', `${ROOT}/maple-court/kpi/#`, 'deny'],
  ];
  it.each(cases)('%s %s %s: %s', async (username, action, topic, result) => {
    const r = await authz({ username, topic, action, clientid: 'c1' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ result });
  });

  it('answers 400 to an action EMQX does not send', async () => {
    const r = await authz({ username: 'gw-east', topic: `${ROOT}/maple-court/gw-east/status`, action: 'all' });
    expect(r.statusCode).toBe(400);
  });
});

describe('the broker key', () => {
  it('is required: none 401, a wrong one 401, an operator key 403', async () => {
    const body = { username: 'gw-east', password: SECRETS['gw-east'] };
    const none = await authn(body, {});
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('HUB_ERR_UNAUTHORIZED');
    const wrong = await authn(body, bearer('not-the-broker-key-0123456789'));
    expect(wrong.statusCode).toBe(401);
    const operator = await authz(
      { username: 'gw-east', topic: `${ROOT}/maple-court/gw-east/status`, action: 'publish' },
      bearer(OPERATOR_KEY),
    );
    expect(operator.statusCode).toBe(403);
    expect(operator.json().error.code).toBe('HUB_ERR_FORBIDDEN');
    const noKeyAuthz = await authz({ username: 'gw-east', topic: `${ROOT}/x`, action: 'publish' }, {});
    expect(noKeyAuthz.statusCode).toBe(401);
  });

  it('opens no other route', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/sites', headers: bearer(BROKER_KEY) });
    expect(r.statusCode).toBe(403);
    expect(r.json().error.message).toContain('only the EMQX endpoints');
  });
});
