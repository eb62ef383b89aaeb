/** Every error code is documented in the README, and the README names no code that does not exist
 * (after fastify's test/internals/errors.test.js). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, HubError } from '../src/errors.ts';

const readme = readFileSync('README.md', 'utf8');

describe('error catalogue', () => {
  const codes = Object.keys(ERROR_CATALOGUE) as (keyof typeof ERROR_CATALOGUE)[];

  it.each(codes)('%s is documented in the README with its retryability', (code) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    expect(row, `README has no table row for ${code}`).toBeDefined();
    expect(row).toContain(ERROR_CATALOGUE[code].retryable ? '| yes |' : '| no |');
    expect(row).toContain(`| ${ERROR_CATALOGUE[code].status} |`);
  });

  it('the README names no code outside the catalogue', () => {
    const named = new Set(readme.match(/HUB_ERR_[A-Z0-9_]+/g) ?? []);
    expect([...named].filter((c) => !(c in ERROR_CATALOGUE))).toEqual([]);
  });

  it('a HubError carries its code, status and retryability', () => {
    const e = new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down');
    expect(e.canRetry()).toBe(true);
    expect(e.status).toBe(503);
    expect(new HubError('HUB_ERR_INFLUX_WRITE_REJECTED', 'x').canRetry()).toBe(false);
  });
});
