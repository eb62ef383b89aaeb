import { describe, expect, it } from 'vitest';
import {
  DECOY_SECRETS,
  decoySecret,
  generateSecret,
  hashSecret,
  isHashedSecret,
  SCRYPT_CONCURRENCY,
  secretScheme,
  verifySecret,
} from '../src/secret.ts';
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

  it('hashes a generated secret with the fast scheme: salted, verifies only the right secret', async () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(generateSecret()).not.toBe(secret);
    const a = hashSecret(secret, 'fast');
    const b = hashSecret(secret, 'fast');
    expect(a).toMatch(/^hmac-sha256\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b); // a fresh salt each time
    expect(a).not.toContain(secret);
    expect(secretScheme(a)).toBe('fast');
    expect(secretScheme(hashSecret('person'))).toBe('scrypt');
    expect(isHashedSecret(a)).toBe(true);
    await expect(verifySecret(secret, a)).resolves.toBe(true);
    await expect(verifySecret(Buffer.from(secret), b)).resolves.toBe(true);
    await expect(verifySecret(`${secret}x`, a)).resolves.toBe(false);
    await expect(verifySecret(secret.slice(0, -1), a)).resolves.toBe(false);
    await expect(verifySecret('', a)).resolves.toBe(false);
    // The digest is bound to its salt: another secret's salt with this digest does not verify.
    const [, saltB] = b.split('$');
    const [, , digestA] = a.split('$');
    await expect(verifySecret(secret, `hmac-sha256$${saltB}$${digestA}`)).resolves.toBe(false);
  });

  it('refuses malformed fast-scheme strings as no stored secret', async () => {
    const good = hashSecret(generateSecret(), 'fast');
    const [, salt, digest] = good.split('$') as [string, string, string];
    const malformed = [
      `hmac-sha256$${salt}`,
      `hmac-sha256$${salt.slice(1)}$${digest}`,
      `hmac-sha256$${salt}$${digest}A`,
      `hmac-sha256$${salt}$${digest.slice(0, 42)}+`, // base64, not base64url
      `hmac-sha1$${salt}$${digest}`,
      `HMAC-SHA256$${salt}$${digest}`,
      `${good}\n`,
    ];
    for (const m of malformed) {
      expect(isHashedSecret(m), m).toBe(false);
      const err = await verifySecret('x', m).catch((e: unknown) => e);
      expect(isHubError(err, 'HUB_ERR_SECRET_FORMAT'), m).toBe(true);
    }
  });

  it('checks fast-scheme secrets outside the scrypt limiter', async () => {
    const slow = hashSecret('person-chosen');
    const secret = generateSecret();
    const fast = hashSecret(secret, 'fast');
    const order: string[] = [];
    // More scrypt checks than the limiter runs at once: later ones wait for a slot.
    const scrypts = Array.from({ length: SCRYPT_CONCURRENCY * 3 }, () =>
      verifySecret('person-chosen', slow).then((ok) => order.push(`scrypt ${ok}`)),
    );
    const quick = verifySecret(secret, fast).then((ok) => order.push(`fast ${ok}`));
    await Promise.all([...scrypts, quick]);
    // Had it queued behind the limiter, it would come after at least SCRYPT_CONCURRENCY * 2 of them.
    expect(order[0]).toBe('fast true');
    expect(order.filter((o) => o === 'scrypt true')).toHaveLength(SCRYPT_CONCURRENCY * 3);
  });

  it('picks the decoy of the scheme most accounts use; decoys never verify', async () => {
    const fast = hashSecret(generateSecret(), 'fast');
    const slow = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
    expect(decoySecret([fast, fast, slow])).toBe(DECOY_SECRETS.fast);
    expect(decoySecret([fast, slow])).toBe(DECOY_SECRETS.scrypt);
    expect(decoySecret([])).toBe(DECOY_SECRETS.scrypt);
    expect(secretScheme(DECOY_SECRETS.fast)).toBe('fast');
    expect(secretScheme(DECOY_SECRETS.scrypt)).toBe('scrypt');
    await expect(verifySecret('', DECOY_SECRETS.fast)).resolves.toBe(false);
    await expect(verifySecret(generateSecret(), DECOY_SECRETS.fast)).resolves.toBe(false);
  });
});
