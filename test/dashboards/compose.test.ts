/**
 * docker-compose.yml and the Grafana provisioning files have the shape we rely on (no Docker engine
 * runs here): a zod schema of the compose fields used, `${VAR}`s with a default or an error, bind
 * mounts that exist in the repo, and provisioning that names the dashboards' datasource uid.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DATASOURCE } from '../../src/dashboards/index.ts';

const text = readFileSync('docker-compose.yml', 'utf8');
const strList = z.array(z.string().min(1));

const service = z
  .strictObject({
    image: z.string().regex(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/, 'an image with a pinned tag').optional(),
    build: z.union([z.string(), z.strictObject({ context: z.string(), dockerfile: z.string().optional() })]).optional(),
    command: strList.optional(),
    entrypoint: strList.optional(),
    profiles: strList.optional(),
    ports: z.array(z.string().regex(/^\d+:\d+$/)).optional(),
    volumes: z.array(z.string().regex(/^[^:]+:\/[^:]*(:ro)?$/)).optional(),
    environment: z.record(z.string(), z.string()).optional(),
    healthcheck: z
      .strictObject({ test: z.tuple([z.enum(['CMD', 'CMD-SHELL'])], z.string()), interval: z.string(), timeout: z.string(), retries: z.number().int().positive() })
      .optional(),
    depends_on: z.record(z.string(), z.strictObject({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) })).optional(),
  })
  .refine((s) => (s.image === undefined) !== (s.build === undefined), 'a service has an image or a build, not both');

const compose = z.strictObject({
  name: z.string(),
  services: z.record(z.string(), service),
  volumes: z.record(z.string(), z.null()).optional(),
});

const file = compose.parse(parse(text));

describe('docker-compose.yml', () => {
  it('has the influxdb, hub, dashboards, grafana and sim services', () => {
    expect(Object.keys(file.services).sort()).toEqual(['dashboards', 'grafana', 'hub', 'influxdb', 'sim']);
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
    expect(file.services['grafana']!.environment!['GF_SECURITY_ADMIN_PASSWORD']).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
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

  it('builds what the Dockerfile can run: the dashboards and the simulator are in the image', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    expect(dockerfile).toMatch(/^COPY dashboards /m);
    expect(dockerfile).toMatch(/^COPY simulators /m);
    expect(existsSync(file.services['sim']!.command![2]!)).toBe(true);
  });
});

describe('Grafana provisioning', () => {
  it('provisions the datasource every dashboard names, with InfluxQL', () => {
    const ds = z
      .object({ apiVersion: z.literal(1), datasources: z.array(z.object({ uid: z.string(), type: z.literal('influxdb'), url: z.string(), jsonData: z.object({ dbName: z.string() }).loose() }).loose()).length(1) })
      .parse(parse(readFileSync('dashboards/provisioning/datasources/influxdb.yaml', 'utf8')));
    expect(ds.datasources[0]!.uid).toBe(DATASOURCE.uid);
    // Every ${VAR} the file uses is set in Grafana's environment in compose.
    const env = file.services['grafana']!.environment!;
    const used = [...readFileSync('dashboards/provisioning/datasources/influxdb.yaml', 'utf8').matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!);
    for (const v of used.filter((u) => u !== 'INFLUX_TOKEN')) expect(Object.keys(env), v).toContain(v);
  });

  it('points the dashboard provider at the folder compose mounts the built JSON in', () => {
    const provider = z
      .object({ apiVersion: z.literal(1), providers: z.array(z.object({ type: z.literal('file'), options: z.object({ path: z.string() }) }).loose()).length(1) })
      .parse(parse(readFileSync('dashboards/provisioning/dashboards/community-hub.yaml', 'utf8')));
    const mounts = file.services['grafana']!.volumes!.map((v) => v.split(':')[1]);
    expect(mounts).toContain(provider.providers[0]!.options.path);
    expect(file.services['grafana']!.environment!['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']).toMatch(new RegExp(`^${provider.providers[0]!.options.path}/[a-z-]+\\.json$`));
  });
});
