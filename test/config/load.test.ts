import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadInventory } from '../../src/config/load.ts';
import { envSettings } from '../../src/config/env.ts';
import { configSchema } from '../../src/config/schema.ts';
import { isHubError } from '../../src/errors.ts';
import { hashSecret } from '../../src/secret.ts';
import { testDir } from '../helpers/tmp.ts';

const SECRET = hashSecret('gw-secret');
const GOOD_INVENTORY = `sites:
  - id: maple-court
    households: 10
    buildings: [{ id: b1, households: 10 }]
    gateways:
      - id: gw-1
        secret: ${SECRET}
        devices: [{ id: bin-01, type: waste-bin, model: generic-v1, building: b1 }]
`;

/** A temp folder with hub.yaml and inventory.yaml; returns the folder. */
function workspace(hub: string, inventory = GOOD_INVENTORY): string {
  const dir = testDir('hub-config-');
  writeFileSync(join(dir, 'hub.yaml'), hub);
  writeFileSync(join(dir, 'inventory.yaml'), inventory);
  return dir;
}

function loadError(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isHubError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected loading to fail');
}

const KEY = 'pseudonymKey: 0123456789abcdef0123\n';

describe('config loading', () => {
  it('loads the shipped example config and inventory, frozen, with defaults filled in', () => {
    const { config, inventory } = loadConfig({ configPath: 'config/hub.yaml', env: {} });
    expect(config.mqtt.port).toBe(1883);
    expect(config.http.port).toBe(8080);
    expect(config.ingest.maxFutureSkew).toBe(5 * 60_000);
    expect(config.ingest.maxAge).toBe(30 * 86_400_000);
    expect(config.mqtt.maxPacketBytes).toBe(256 * 1024);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.mqtt)).toBe(true);
    expect(() => {
      (config.mqtt as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(inventory.device('maple-court', 'gw-east', 'bin-01')?.building).toBe('b1');
    expect(inventory.device('maple-court', 'gw-east', 'gate-north')?.building).toBe('none');
    expect(inventory.device('maple-court', 'gw-west', 'bin-01')).toBeUndefined();
  });

  it('lets the environment win over the file, and resolves paths against the config folder', () => {
    const dir = workspace(`${KEY}mqtt:\n  port: 1999\n`);
    const { config } = loadConfig({
      configPath: join(dir, 'hub.yaml'),
      env: { HUB_MQTT_PORT: '0', HUB_INFLUX_URL: 'http://127.0.0.1:9' },
    });
    expect(config.mqtt.port).toBe(0);
    expect(config.influx.url).toBe('http://127.0.0.1:9');
    expect(config.inventory).toBe(join(dir, 'inventory.yaml'));
    expect(config.dataDir).toBe(join(dir, 'data'));
  });

  it('gives every setting an environment variable, including the contract’s', () => {
    const names = envSettings(configSchema).map((s) => s.env);
    for (const required of [
      'HUB_INVENTORY',
      'HUB_DATA_DIR',
      'HUB_MQTT_PORT',
      'HUB_HTTP_PORT',
      'HUB_INFLUX_URL',
      'HUB_INFLUX_DATABASE',
      'HUB_INFLUX_TOKEN',
      'HUB_INFLUX_USERNAME',
      'HUB_INFLUX_PASSWORD',
      'HUB_PSEUDONYM_KEY',
      'HUB_LOG_LEVEL',
      'HUB_ADMIN_KEY',
      'HUB_OPERATOR_KEY',
    ]) {
      expect(names).toContain(required);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('names the file, the path inside it and what is wrong', () => {
    const dir = workspace(`${KEY}mqtt:\n  port: 70000\n  bogus: 1\ningest:\n  maxAge: forever\n`);
    const err = loadError(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env: {}, cwd: dir }));
    expect(err.code).toBe('HUB_ERR_CONFIG_INVALID');
    expect(err.message).toContain('hub.yaml is invalid');
    expect(err.message).toMatch(/mqtt\.port: .*65535/);
    expect(err.message).toContain('mqtt: unknown key(s) "bogus"');
    expect(err.message).toContain('ingest.maxAge: "forever" is not a duration');
  });

  it('CO₂e factors: all four categories or none, each 0–100; the environment can set them; quarter and year periods', () => {
    const load = (text: string, env: NodeJS.ProcessEnv = {}) =>
      loadConfig({ configPath: join(workspace(`${KEY}${text}`), 'hub.yaml'), env }).config;
    expect(load('').evaluation.co2eFactors).toBeUndefined();
    expect(load('').kpi.targets.diversion_rate).toBe(0.35);
    const all = 'evaluation:\n  co2eFactors: { recyclable: 1.2, kitchen: 0.3, hazardous: 0, residual: 0 }\n';
    expect(load(all, { HUB_EVALUATION_CO2E_FACTORS_KITCHEN: '0.25' }).evaluation.co2eFactors).toEqual({
      recyclable: 1.2,
      kitchen: 0.25,
      hazardous: 0,
      residual: 0,
    });
    expect(load('kpi:\n  periods: [day, quarter, year]\n  publishPeriod: year\n').kpi.periods).toEqual([
      'day',
      'quarter',
      'year',
    ]);
    const partial = loadError(() => load('evaluation:\n  co2eFactors: { recyclable: 1.2 }\n'));
    expect(partial.code).toBe('HUB_ERR_CONFIG_INVALID');
    expect(partial.message).toMatch(/evaluation\.co2eFactors\.kitchen: /);
    // One variable alone makes a partial set: refused, naming the missing categories, not read as 0.
    const fromEnv = loadError(() => load('', { HUB_EVALUATION_CO2E_FACTORS_RECYCLABLE: '1.2' }));
    expect(fromEnv.message).toMatch(/evaluation\.co2eFactors\.residual: /);
    const negative = loadError(() => load(all.replace('hazardous: 0', 'hazardous: -1')));
    expect(negative.message).toMatch(/evaluation\.co2eFactors\.hazardous: .*>=0/);
    expect(loadError(() => load('kpi:\n  periods: [decade]\n')).message).toMatch(/kpi\.periods\.0: /);
    expect(loadError(() => load('kpi:\n  targets: { diversion_rate: 1.5 }\n')).message).toMatch(
      /kpi\.targets\.diversion_rate: /,
    );
  });

  it('names the environment variable when the bad value came from it', () => {
    const dir = workspace(KEY);
    const err = loadError(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env: { HUB_HTTP_PORT: 'eighty' } }));
    expect(err.message).toContain('http.port (from environment variable HUB_HTTP_PORT)');
  });

  it('mutual TLS settings: a CA file and the TLS listener are required unless tlsClientCerts is off', () => {
    const tls = `${KEY}mqtt:\n  tlsPort: 8883\n  tlsCertFile: tls/hub.pem\n  tlsKeyFile: tls/hub.key\n`;
    const dir = workspace(tls);
    const hub = join(dir, 'hub.yaml');
    expect(loadConfig({ configPath: hub, env: {} }).config.mqtt.tlsClientCerts).toBe('off');

    const noCa = loadError(() => loadConfig({ configPath: hub, env: { HUB_MQTT_TLS_CLIENT_CERTS: 'required' } }));
    expect(noCa.code).toBe('HUB_ERR_CONFIG_INVALID');
    expect(noCa.message).toContain('mqtt.tlsCaFile: is needed when mqtt.tlsClientCerts is optional or required');

    const bad = loadError(() => loadConfig({ configPath: hub, env: { HUB_MQTT_TLS_CLIENT_CERTS: 'sometimes' } }));
    expect(bad.message).toMatch(
      /mqtt\.tlsClientCerts \(from environment variable HUB_MQTT_TLS_CLIENT_CERTS\): .*"optional"/,
    );

    const plain = workspace(`${KEY}mqtt:\n  tlsCaFile: ca.pem\n  tlsClientCerts: optional\n`);
    const noListener = loadError(() => loadConfig({ configPath: join(plain, 'hub.yaml'), env: {} }));
    expect(noListener.message).toContain('mqtt.tlsClientCerts: client certificates need the TLS listener');

    const { config } = loadConfig({
      configPath: hub,
      env: { HUB_MQTT_TLS_CLIENT_CERTS: 'optional', HUB_MQTT_TLS_CA_FILE: '/etc/ca.pem' },
    });
    expect(config.mqtt).toMatchObject({
      tlsClientCerts: 'optional',
      tlsCaFile: '/etc/ca.pem',
      tlsCertFile: join(dir, 'tls/hub.pem'),
    });
    const inFile = workspace(`${tls}  tlsCaFile: tls/ca.pem\n  tlsClientCerts: required\n`);
    expect(loadConfig({ configPath: join(inFile, 'hub.yaml'), env: {} }).config.mqtt.tlsCaFile).toBe(
      join(inFile, 'tls/ca.pem'),
    );
  });

  it('reports YAML syntax errors with line and column', () => {
    const dir = workspace(`${KEY}mqtt:\n  port: [1883\n`);
    const err = loadError(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env: {}, cwd: dir }));
    expect(err.code).toBe('HUB_ERR_CONFIG_INVALID');
    expect(err.message).toMatch(/^hub\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('refuses an unknown YAML tag with its line and column instead of reading it as a string', () => {
    const dir = workspace(`${KEY}dataDir: !custom data\n`);
    const err = loadError(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env: {}, cwd: dir }));
    expect(err.code).toBe('HUB_ERR_CONFIG_INVALID');
    expect(err.message).toMatch(/^hub\.yaml:\d+:\d+: YAML syntax error: .*!custom/);
  });

  it('refuses a missing pseudonym key with advice', () => {
    const dir = workspace('log: { level: info }\n');
    const err = loadError(() => loadConfig({ configPath: join(dir, 'hub.yaml'), env: {} }));
    expect(err.message).toMatch(/pseudonymKey: /);
  });

  it('says which file is missing', () => {
    const err = loadError(() => loadConfig({ configPath: '/nonexistent/hub.yaml', env: {} }));
    expect(err.code).toBe('HUB_ERR_CONFIG_NOT_FOUND');
    expect(err.message).toContain('/nonexistent/hub.yaml: cannot read the file (no such file)');
  });
});

describe('inventory loading', () => {
  const cases: [string, string, RegExp][] = [
    [
      'a plaintext secret',
      GOOD_INVENTORY.replace(SECRET, 'hunter2'),
      /sites\.0\.gateways\.0\.secret: must be a "scrypt\$…" or "hmac-sha256\$…" string/,
    ],
    [
      'a malformed fast-scheme secret (salt too short)',
      GOOD_INVENTORY.replace(SECRET, 'hmac-sha256$c2FsdA$' + 'A'.repeat(43)),
      /sites\.0\.gateways\.0\.secret: must be a "scrypt\$…" or "hmac-sha256\$…" string/,
    ],
    [
      'an unknown scheme',
      GOOD_INVENTORY.replace(SECRET, 'sha1$' + 'A'.repeat(22) + '$' + 'A'.repeat(43)),
      /sites\.0\.gateways\.0\.secret: must be a "scrypt\$…" or "hmac-sha256\$…" string/,
    ],
    [
      'a bad id',
      GOOD_INVENTORY.replace('id: bin-01', 'id: Bin 01'),
      /sites\.0\.gateways\.0\.devices\.0\.id: must match/,
    ],
    [
      'an unknown device type',
      GOOD_INVENTORY.replace('type: waste-bin', 'type: toaster'),
      /sites\.0\.gateways\.0\.devices\.0\.type: /,
    ],
    [
      'buildings that do not sum to the site',
      GOOD_INVENTORY.replace('households: 10 }', 'households: 9 }'),
      /sites\.0\.buildings: building households sum to 9, but the site has 10/,
    ],
    [
      'a device in an unknown building',
      GOOD_INVENTORY.replace('building: b1 }', 'building: b9 }'),
      /devices\.0\.building: building "b9" is not listed/,
    ],
    [
      'a duplicate gateway',
      GOOD_INVENTORY + `  - id: other\n    households: 1\n    gateways:\n      - id: gw-1\n        secret: ${SECRET}\n`,
      /sites\.1\.gateways\.0\.id: duplicate gateway gw-1/,
    ],
    [
      'the reserved gateway id kpi',
      GOOD_INVENTORY.replace('id: gw-1', 'id: kpi'),
      /sites\.0\.gateways\.0\.id: "kpi" is reserved/,
    ],
    [
      'an unknown time zone',
      GOOD_INVENTORY.replace('households: 10\n', 'households: 10\n    timezone: Mars/Olympus\n'),
      /sites\.0\.timezone: must be an IANA time zone/,
    ],
  ];
  for (const [what, text, message] of cases) {
    it(`refuses ${what}, naming the path`, () => {
      const dir = workspace(KEY, text);
      const err = loadError(() => loadInventory(join(dir, 'inventory.yaml'), dir));
      expect(err.code).toBe('HUB_ERR_INVENTORY_INVALID');
      expect(err.message).toMatch(/^inventory\.yaml is invalid:/);
      expect(err.message).toMatch(message);
    });
  }
});
