/** The README's tables of dead-letter and refusal reasons agree with the catalogues in the code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS } from '../src/broker/refusals.ts';
import { REJECT_REASONS } from '../src/normalise/reasons.ts';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it.each(Object.keys(REJECT_REASONS))('documents the dead-letter reason %s', (reason) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${reason}\` \\| .+ \\|$`, 'm'));
  });
  it.each(Object.keys(REFUSAL_REASONS))('documents the MQTT refusal reason %s', (reason) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${reason}\` \\| .+ \\|$`, 'm'));
  });
});
