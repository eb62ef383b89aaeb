/** Every error code is documented in docs/errors.md, and no document names a code that does not exist
 * (after fastify's test/internals/errors.test.js). */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, HubError } from '../src/errors.ts';

const table = readFileSync('docs/errors.md', 'utf8');
const docs = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('error catalogue', () => {
  const codes = Object.keys(ERROR_CATALOGUE) as (keyof typeof ERROR_CATALOGUE)[];

  it.each(codes)('%s is documented in docs/errors.md with its status and retryability', (code) => {
    const row = table.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
    expect(row, `docs/errors.md has no table row for ${code}`).toBeDefined();
    expect(row).toContain(ERROR_CATALOGUE[code].retryable ? '| yes |' : '| no |');
    expect(row).toContain(`| ${ERROR_CATALOGUE[code].status} |`);
  });

  it.each(docs)('%s names no code outside the catalogue', (file) => {
    const named = new Set(readFileSync(file, 'utf8').match(/HUB_ERR_[A-Z0-9_]+/g) ?? []);
    expect([...named].filter((c) => !(c in ERROR_CATALOGUE))).toEqual([]);
  });

  it('a HubError carries its code, status and retryability', () => {
    const e = new HubError('HUB_ERR_INFLUX_UNREACHABLE', 'down');
    expect(e.canRetry()).toBe(true);
    expect(e.status).toBe(503);
    expect(new HubError('HUB_ERR_INFLUX_WRITE_REJECTED', 'x').canRetry()).toBe(false);
  });
});
