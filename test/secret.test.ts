import { describe, expect, it } from 'vitest';
import { hashSecret, isHashedSecret, SCRYPT_CONCURRENCY, verifySecret } from '../src/secret.ts';
import { isHubError } from '../src/errors.ts';

describe('secrets', () => {
  it('hashes with a fresh salt and verifies only the right secret', async () => {
    const a = hashSecret('s3cret');
    const b = hashSecret('s3cret');
    expect(a).not.toBe(b);
    expect(isHashedSecret(a)).toBe(true);
    expect(a).not.toContain('s3cret');
    await expect(verifySecret('s3cret', a)).resolves.toBe(true);
    await expect(verifySecret('s3cret', b)).resolves.toBe(true);
    await expect(verifySecret('s3cret!', a)).resolves.toBe(false);
    await expect(verifySecret('', a)).resolves.toBe(false);
  });

  it('refuses a stored value that is not a scrypt string', async () => {
    const err = await verifySecret('x', 'plaintext').catch((e: unknown) => e);
    expect(isHubError(err, 'HUB_ERR_SECRET_FORMAT')).toBe(true);
  });

  it('queues verifications beyond the scrypt limit and frees a slot when scrypt fails', async () => {
    expect(SCRYPT_CONCURRENCY).toBeGreaterThanOrEqual(1);
    const stored = hashSecret('right');
    // N=3 is no power of two: scrypt refuses it, after the slot was taken.
    const broken = 'scrypt$3$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
    const failures = Array.from({ length: SCRYPT_CONCURRENCY * 3 }, () =>
      verifySecret('x', broken).then(
        () => 'resolved',
        () => 'rejected',
      ),
    );
    const checks = Array.from({ length: SCRYPT_CONCURRENCY * 4 }, (_, i) =>
      verifySecret(i % 2 ? 'right' : 'wrong', stored),
    );
    expect(await Promise.all(failures)).toEqual(failures.map(() => 'rejected'));
    // Had a failure kept its slot, these would never run.
    expect(await Promise.all(checks)).toEqual(checks.map((_, i) => i % 2 === 1));
  });
});
