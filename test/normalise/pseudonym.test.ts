import { describe, expect, it } from 'vitest';
import { isHubError } from '../../src/errors.ts';
import { createPseudonymiser, PSEUDONYM_PREFIX } from '../../src/normalise/pseudonym.ts';

const KEY = 'fixture-pseudonym-key-0123456789';

describe('pseudonymisation (docs/contract.md §3)', () => {
  const p = createPseudonymiser(KEY);

  it('is stable for one key', () => {
    expect(p('H-3-1203')).toBe(p('H-3-1203'));
    expect(createPseudonymiser(Buffer.from(KEY))('H-3-1203')).toBe(p('H-3-1203'));
  });

  it('has the documented form: px_ and 16 hex digits', () => {
    expect(p('H-3-1203')).toMatch(new RegExp(`^${PSEUDONYM_PREFIX}[0-9a-f]{16}$`));
  });

  it('is pinned: HMAC-SHA256, first 64 bits', () => {
    expect(p('H-3-1203')).toBe('px_453634b1f39ccb71');
  });

  it('never equals nor contains the raw id', () => {
    for (const raw of ['H-3-1203', '3005119821', 'px_453634b1f39ccb71', 'a']) {
      expect(p(raw)).not.toBe(raw);
      if (raw.length > 3) expect(p(raw)).not.toContain(raw);
    }
  });

  it('differs between ids and between keys', () => {
    expect(p('H-3-1203')).not.toBe(p('H-3-1204'));
    expect(createPseudonymiser('another-key-of-enough-length')('H-3-1203')).not.toBe(p('H-3-1203'));
  });

  it('refuses a short key', () => {
    let caught: unknown;
    try {
      createPseudonymiser('short');
    } catch (e) {
      caught = e;
    }
    expect(isHubError(caught, 'HUB_ERR_CONFIG_INVALID')).toBe(true);
  });
});
