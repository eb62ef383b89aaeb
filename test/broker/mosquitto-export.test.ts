/**
 * `community-hub broker mosquitto` (src/cli/broker.ts, src/broker/mosquitto.ts): the ACL file it
 * writes, enforced by Debian's real Mosquitto broker (started here by PID with the generated
 * mosquitto-auth.conf and a password file made by `mosquitto_passwd`), judged against the
 * embedded broker's own rule (src/broker/acl.ts) for every topic tried. Nothing is delivered
 * unless a `mosquitto_sub` of the hub's account sees it; "not delivered" is known once a later
 * marker message, published after it, has arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Acl, type Account } from '../../src/broker/acl.ts';
import { mosquittoAcl } from '../../src/broker/mosquitto.ts';
import { rootLevels } from '../../src/broker/topic.ts';
import { Inventory, inventorySchema } from '../../src/config/inventory.ts';
import { hashSecret } from '../../src/secret.ts';
import { runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/net.ts';
import { mosquittoPub, mosquittoSub, ROOT, run } from './helpers.ts';

const SECRETS = {
  'community-hub': 'hub-secret-0123456789',
  watcher: 'watch-secret-0123456789',
  'gw-east': 'east-secret-0123456789',
  'gw-west': 'west-secret-0123456789',
  'gw-oak': 'oak-secret-0123456789',
} as const;
type User = keyof typeof SECRETS;
const auth = (u: User): [string, string] => [u, SECRETS[u]];
const fast = (u: User): string => hashSecret(SECRETS[u], 'fast');

const INVENTORY = {
  sites: [
    {
      id: 'maple-court',
      households: 10,
      gateways: [
        { id: 'gw-east', secret: fast('gw-east'), devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] },
        { id: 'gw-west', secret: fast('gw-west'), devices: [{ id: 'bin-02', type: 'waste-bin', model: 'generic-v1' }] },
      ],
    },
    {
      id: 'oak-park',
      households: 5,
      gateways: [
        { id: 'gw-oak', secret: fast('gw-oak'), devices: [{ id: 'bin-01', type: 'waste-bin', model: 'generic-v1' }] },
      ],
    },
  ],
};
const OBSERVERS = [{ username: 'watcher', secret: fast('watcher') }];

describe('community-hub broker mosquitto (CLI)', () => {
  let dir: string;
  let out: string;
  let stdout: string;
  let mosquitto: ChildProcess | undefined;
  let log = '';
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mosquitto-export-'));
    out = join(dir, 'out');
    writeFileSync(join(dir, 'inventory.yaml'), JSON.stringify(INVENTORY));
    writeFileSync(
      join(dir, 'hub.yaml'),
      JSON.stringify({ pseudonymKey: 'k'.repeat(32), inventory: 'inventory.yaml', mqtt: { observers: OBSERVERS } }),
    );
    const r = await runCli(['broker', 'mosquitto', '--out', out, '--config', join(dir, 'hub.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    stdout = r.stdout;

    // The password file as the printed instructions make it: "user:secret" lines, hashed in place.
    const passwd = join(out, 'passwd');
    writeFileSync(
      passwd,
      Object.entries(SECRETS)
        .map(([u, s]) => `${u}:${s}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const hashed = await run('/usr/bin/mosquitto_passwd', ['-U', passwd]).done;
    expect(hashed.code, hashed.stderr).toBe(0);

    port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    // As root Mosquitto would switch to the `mosquitto` user, who cannot read this test's folder.
    const asRoot = process.getuid?.() === 0 ? 'user root\n' : '';
    writeFileSync(conf, `listener ${port} 127.0.0.1\nlog_dest stderr\n${asRoot}include_dir ${out}\n`);
    mosquitto = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    mosquitto.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    mosquitto.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await vi.waitFor(
      () => {
        if (mosquitto?.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
        expect(log).toContain(' running');
      },
      { timeout: 15_000, interval: 50 },
    );
  }, 60_000);

  afterAll(async () => {
    const child = mosquitto;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the ACL and the conf lines, and prints how to make the password file', () => {
    const acl = readFileSync(join(out, 'acl'), 'utf8');
    expect(acl).toContain('user gw-east\ntopic write community/v1/maple-court/gw-east/+/telemetry\n');
    expect(acl).toContain('user community-hub\ntopic read community/v1/#\n');
    const conf = readFileSync(join(out, 'mosquitto-auth.conf'), 'utf8');
    expect(conf).toContain('allow_anonymous false\n');
    expect(conf).toContain(`acl_file ${join(out, 'acl')}\n`);
    expect(conf).toContain(`password_file ${join(out, 'passwd')}\n`);
    expect(stdout).toContain(`mosquitto_passwd -U ${join(out, 'passwd')}`);
    expect(stdout).toContain('Accounts (5): community-hub watcher gw-east gw-west gw-oak');
  });

  it('delivers exactly the publishes the embedded broker allows, to the hub account', async () => {
    const sub = mosquittoSub(port, auth('community-hub'), `${ROOT}/#`, ['-v'], 120_000);
    try {
      // The subscription is in place once a gateway's own publish comes through.
      let probe = 0;
      await vi.waitFor(
        async () => {
          const payload = `probe-${++probe}`;
          await mosquittoPub(port, auth('gw-east'), `${ROOT}/maple-court/gw-east/bin-01/telemetry`, payload).done;
          expect(sub.output()).toContain(` ${payload}\n`);
        },
        { timeout: 30_000, interval: 200 },
      );

      const acl = new Acl(rootLevels(ROOT));
      const east: Account = { kind: 'gateway', username: 'gw-east', site: 'maple-court' };
      const watcher: Account = { kind: 'observer', username: 'watcher' };
      const own = `${ROOT}/maple-court/gw-east`;
      const tries: [User, Account, string][] = [
        ['gw-east', east, `${own}/bin-01/telemetry`],
        ['gw-east', east, `${own}/bin-01/event`],
        ['gw-east', east, `${own}/not-in-inventory/telemetry`], // allowed: an unknown_device dead letter (§2)
        ['gw-east', east, `${own}/status`],
        ['gw-east', east, `${ROOT}/maple-court/gw-west/bin-02/telemetry`], // another gateway of the site
        ['gw-east', east, `${ROOT}/oak-park/gw-east/bin-01/telemetry`], // its own id under another site
        ['gw-east', east, `${ROOT}/oak-park/gw-oak/status`],
        ['gw-east', east, `${own}/bin-01/other`],
        ['gw-east', east, `${own}/bin-01/telemetry/more`],
        ['gw-east', east, `${own}/bin-01`],
        ['gw-east', east, `${own}/status/more`],
        ['gw-east', east, `${ROOT}/maple-court/kpi/sorting_coverage`],
        ['gw-east', east, 'elsewhere/topic'],
        ['watcher', watcher, `${own}/bin-01/telemetry`],
      ];
      const expected: string[] = [];
      for (const [i, [user, account, topic]] of tries.entries()) {
        const r = await mosquittoPub(port, auth(user), topic, `try-${i}`).done;
        expect(r.code, r.stderr).toBe(0); // Mosquitto acknowledges a denied publish and drops it
        if (acl.publish(account, topic).ok) expected.push(`${topic} try-${i}`);
      }
      await mosquittoPub(port, auth('gw-west'), `${ROOT}/maple-court/gw-west/bin-02/event`, 'marker').done;
      await vi.waitFor(() => expect(sub.output()).toContain(' marker\n'), { timeout: 30_000, interval: 100 });

      const delivered = sub
        .output()
        .split('\n')
        .filter((l) => / try-\d+$/.test(l));
      expect(delivered).toEqual(expected);
      // What acl.ts allows of these: the four of its own subtree, nothing else.
      expect(expected).toHaveLength(4);
    } finally {
      sub.kill();
      await sub.done;
    }
  }, 180_000);

  it("lets a gateway read only its own subtree and its site's KPIs, which the hub account publishes", async () => {
    // Subscribed to everything, gw-east receives only what the embedded broker would let it
    // subscribe to. (Nobody publishes as gw-east meanwhile: the conf makes the client id the
    // username, so a second gw-east connection would take this one over.)
    const sub = mosquittoSub(port, auth('gw-east'), `${ROOT}/#`, ['-v'], 120_000);
    try {
      let probe = 0;
      await vi.waitFor(
        async () => {
          const payload = `probe-${++probe}`;
          await mosquittoPub(port, auth('community-hub'), `${ROOT}/maple-court/kpi/probe`, payload).done;
          expect(sub.output()).toContain(` ${payload}\n`);
        },
        { timeout: 30_000, interval: 200 },
      );
      const acl = new Acl(rootLevels(ROOT));
      const east: Account = { kind: 'gateway', username: 'gw-east', site: 'maple-court' };
      const tries: [User, string][] = [
        ['gw-west', `${ROOT}/maple-court/gw-west/bin-02/telemetry`],
        ['gw-oak', `${ROOT}/oak-park/gw-oak/status`],
        ['community-hub', `${ROOT}/maple-court/kpi/sorting_coverage`],
        ['community-hub', `${ROOT}/maple-court/kpi/sorting_coverage/previous`],
        ['community-hub', `${ROOT}/oak-park/kpi/sorting_coverage`],
      ];
      const expected: string[] = [];
      for (const [i, [user, topic]] of tries.entries()) {
        const r = await mosquittoPub(port, auth(user), topic, `read-${i}`).done;
        expect(r.code, r.stderr).toBe(0);
        if (acl.subscribe(east, topic)) expected.push(`${topic} read-${i}`);
      }
      await mosquittoPub(port, auth('community-hub'), `${ROOT}/maple-court/kpi/marker`, 'marker').done;
      await vi.waitFor(() => expect(sub.output()).toContain(' marker\n'), { timeout: 30_000, interval: 100 });
      const delivered = sub
        .output()
        .split('\n')
        .filter((l) => / read-\d+$/.test(l));
      expect(delivered).toEqual(expected);
      expect(expected).toHaveLength(2);
    } finally {
      sub.kill();
      await sub.done;
    }
  }, 180_000);

  it('refuses a wrong password, an unknown user and an anonymous client', async () => {
    const topic = `${ROOT}/maple-court/gw-east/bin-01/telemetry`;
    for (const creds of [['gw-east', SECRETS['gw-west']], ['nobody', 'whatever-secret'], undefined] as const) {
      const r = await mosquittoPub(port, creds ? [creds[0], creds[1]] : undefined, topic, 'refused').done;
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/not authori[sz]ed/i);
    }
  }, 60_000);
});

describe('community-hub broker: usage', () => {
  it('prints its help, and exits 64 without --out or with an unknown subcommand', async () => {
    const help = await runCli(['broker', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('mosquitto_passwd');
    const noOut = await runCli(['broker', 'mosquitto']);
    expect(noOut.code).toBe(64);
    expect(noOut.stderr).toContain('--out DIR is required');
    const other = await runCli(['broker', 'vernemq', '--out', 'x']);
    expect(other.code).toBe(64);
    expect(other.stderr).toContain('unknown subcommand "vernemq"');
  }, 60_000);
});

describe('mosquittoAcl refusals', () => {
  const inventory = new Inventory(inventorySchema.parse(INVENTORY));
  const config = (observers: { username: string; secret: string }[], rootTopic = ROOT) => ({ rootTopic, observers });

  it('refuses names that would change the meaning of a line, and clashing accounts', () => {
    const secret = fast('watcher');
    const cases: [Parameters<typeof mosquittoAcl>[0], string, RegExp][] = [
      [
        { inventory, config: config([{ username: 'a\nuser x', secret }]), hubUser: 'hub' },
        'HUB_ERR_CONFIG_INVALID',
        /observer/,
      ],
      [
        { inventory, config: config([{ username: 'a:b', secret }]), hubUser: 'hub' },
        'HUB_ERR_CONFIG_INVALID',
        /no ":"/,
      ],
      [
        { inventory, config: config([{ username: 'gw-west', secret }]), hubUser: 'hub' },
        'HUB_ERR_CONFIG_INVALID',
        /id of a gateway/,
      ],
      [{ inventory, config: config([]), hubUser: 'gw-east' }, 'HUB_ERR_CONFIG_INVALID', /another account/],
      [
        { inventory, config: config([{ username: 'hub', secret }]), hubUser: 'hub' },
        'HUB_ERR_CONFIG_INVALID',
        /another account/,
      ],
      [{ inventory, config: config([]), hubUser: 'hub/x' }, 'HUB_ERR_USAGE', /must not contain/],
      [
        { inventory, config: config([], 'community/v1\nuser x'), hubUser: 'hub' },
        'HUB_ERR_CONFIG_INVALID',
        /rootTopic/,
      ],
    ];
    for (const [options, code, message] of cases) {
      expect(() => mosquittoAcl(options)).toThrow(
        expect.objectContaining({ code, message: expect.stringMatching(message) }),
      );
    }
  });
});
