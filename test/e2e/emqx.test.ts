/**
 * The EMQX endpoints over a started hub's own HTTP socket, called by curl as EMQX would call them
 * (POST, JSON body rendered from its templates, the broker key in a header): the running hub's
 * inventory is the one they judge by, so a gateway removed by a reload is denied at its next
 * CONNECT (docs/operations.md, "EMQX").
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { hashSecret } from '../../src/secret.ts';
import { run } from '../broker/helpers.ts';
import { uniqueName } from '../helpers/influx-shared.ts';
import { dropDatabase, SECRETS, startHub, type E2eHub } from './helpers.ts';

const BROKER_KEY = 'e2e-broker-key-0123456789-0123456789';
let h: E2eHub;

beforeAll(async () => {
  h = await startHub({
    database: uniqueName('emqx'),
    east: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1', building: 'b1' }],
    west: [{ id: 'bin-02', type: 'waste-bin', model: 'generic-v1', building: 'b2' }],
    http: { brokerKeys: [hashSecret(BROKER_KEY, 'fast')] },
  });
}, 60_000);
afterAll(async () => {
  if (!h) return;
  await dropDatabase(h.conn);
  await h.stop();
});

/** curl's POST of `body` to `path`; the status and the parsed answer. */
async function post(path: string, body: unknown, key = BROKER_KEY): Promise<{ status: number; json: unknown }> {
  const r = await run('/usr/bin/curl', [
    '-sS',
    '-X',
    'POST',
    '-H',
    'content-type: application/json',
    '-H',
    `authorization: Bearer ${key}`,
    '--data-binary',
    JSON.stringify(body),
    '-w',
    '\n%{http_code}',
    `${h.httpUrl}${path}`,
  ]).done;
  expect(r.code, r.stderr).toBe(0);
  const cut = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(cut + 1)), json: JSON.parse(r.stdout.slice(0, cut)) };
}

describe('EMQX endpoints over the hub socket', () => {
  it('answer EMQX over HTTP, and a reloaded inventory decides the next CONNECT', async () => {
    const login = (user: 'gw-east' | 'gw-west', password: string) =>
      post('/api/v1/emqx/authn', { username: user, password, clientid: `${user}-1` });
    expect(await login('gw-west', SECRETS['gw-west'])).toEqual({
      status: 200,
      json: { result: 'allow', is_superuser: false },
    });
    expect(await login('gw-west', SECRETS['gw-east'])).toEqual({
      status: 200,
      json: { result: 'deny', is_superuser: false },
    });
    const topic = 'community/v1/maple-court/gw-west/bin-02/telemetry';
    expect(await post('/api/v1/emqx/authz', { username: 'gw-west', topic, action: 'publish' })).toEqual({
      status: 200,
      json: { result: 'allow' },
    });
    expect((await post('/api/v1/emqx/authn', { username: 'gw-west', password: 'x' }, 'wrong-key')).status).toBe(401);

    // Remove gw-west from the inventory file and reload, as SIGHUP would.
    const before = await readFile(h.loaded.config.inventory, 'utf8');
    const inv = parse(before) as { sites: { gateways: { id: string }[] }[] };
    inv.sites[0]!.gateways = inv.sites[0]!.gateways.filter((g) => g.id !== 'gw-west');
    await writeFile(h.loaded.config.inventory, stringify(inv));
    const reloaded = await h.hub.reload();
    expect(reloaded).toMatchObject({ reloaded: true });

    expect(await login('gw-west', SECRETS['gw-west'])).toEqual({
      status: 200,
      json: { result: 'deny', is_superuser: false },
    });
    expect(await post('/api/v1/emqx/authz', { username: 'gw-west', topic, action: 'publish' })).toEqual({
      status: 200,
      json: { result: 'deny' },
    });
    expect(await login('gw-east', SECRETS['gw-east'])).toEqual({
      status: 200,
      json: { result: 'allow', is_superuser: false },
    });
  }, 60_000);
});
