import { describe, expect, it } from 'vitest';
import { hashSecret, isHashedSecret, verifySecret } from '../src/secret.ts';
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
});
