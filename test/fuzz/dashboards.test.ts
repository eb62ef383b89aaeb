/**
 * Fuzzing the dashboard YAML loader (src/dashboards/load.ts, `community-hub dashboards build`): a
 * dashboards folder whose files hold any text — the shipped dashboards and components mutated,
 * arbitrary YAML, alias bombs — builds or fails with a HubError naming the file, never another
 * exception.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboards, COMPONENTS_FILE } from '../../src/dashboards/load.ts';
import { fuzz, hubErrorOr } from './settings.ts';
import { yamlish } from './yamlish.ts';

const SHIPPED = 'dashboards';
const files = readdirSync(SHIPPED).filter((f) => f.endsWith('.yaml') && !f.startsWith('_'));
const components = readFileSync(join(SHIPPED, COMPONENTS_FILE), 'utf8');
const KEYS = ['title', 'uid', 'each', 'panels', 'type', 'query', 'targets', 'gridPos', 'use', 'params', 'thresholds'];

const dir = mkdtempSync(join(tmpdir(), 'hub-fuzz-dashboards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function buildWith(dashboard: string, dashboardText: string, componentsText: string) {
  for (const f of readdirSync(dir)) rmSync(join(dir, f));
  writeFileSync(join(dir, COMPONENTS_FILE), componentsText);
  writeFileSync(join(dir, dashboard), dashboardText);
  return hubErrorOr(() => buildDashboards(dir));
}

describe('dashboard loader fuzz', () => {
  it('builds the shipped dashboards (the base the mutations start from)', () => {
    for (const f of files)
      expect(buildWith(f, readFileSync(join(SHIPPED, f), 'utf8'), components)).not.toHaveProperty('hubError');
  });

  it('a dashboard file with any text builds or is a HubError', () => {
    const input = fc
      .constantFrom(...files)
      .chain((f) => fc.tuple(fc.constant(f), yamlish(readFileSync(join(SHIPPED, f), 'utf8'), KEYS)));
    fc.assert(
      fc.property(input, ([f, text]) => {
        const out = buildWith(f, text, components);
        if ('hubError' in out) expect(out.hubError).toBe('HUB_ERR_CONFIG_INVALID');
      }),
      fuzz(300),
    );
  });

  it('a components file with any text builds or is a HubError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...files), yamlish(components, KEYS), (f, text) => {
        const out = buildWith(f, readFileSync(join(SHIPPED, f), 'utf8'), text);
        if ('hubError' in out) expect(out.hubError).toBe('HUB_ERR_CONFIG_INVALID');
      }),
      fuzz(200),
    );
  });
});
