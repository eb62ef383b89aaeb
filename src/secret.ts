/**
 * Stored secrets (gateway passwords, observer accounts, API keys), never plaintext in the inventory
 * or config (docs/contract.md §1). Two schemes; verification compares in constant time:
 *
 * - `scrypt$N$r$p$<salt b64>$<hash b64>`: for anything a person chose. A human secret has little
 *   entropy, so a leaked hash must be slow to test guesses against: scrypt, about 50 ms each.
 * - `hmac-sha256$<salt b64url>$<digest b64url>`: for machine secrets that `community-hub secret hash
 *   --generate` made (32 random bytes). The digest is HMAC-SHA256 keyed with a random 16-byte salt
 *   per secret over the secret. Why no slow KDF: a slow KDF only multiplies the cost of each guess,
 *   which matters when guesses are few (a dictionary); a 256-bit random secret leaves 2^256 of them,
 *   beyond any brute force at any speed, so scrypt would buy nothing and costs a CPU-bound ~50 ms
 *   per CONNECT (a fresh hub's reconnect storm of 2,000 gateways took 39 s). The salt keeps two
 *   gateways with the same secret from sharing a digest; HMAC rather than sha256(salt‖secret)
 *   avoids any length-extension question at no cost.
 */
import { createHmac, randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual } from 'node:crypto';
import { HubError } from './errors.ts';

/** `scrypt` for human-chosen secrets, `fast` (`hmac-sha256$…`) for generated machine secrets. */
export type SecretScheme = 'scrypt' | 'fast';

/** scrypt cost parameters for new hashes: N=2^14, r=8, p=1 (OWASP's minimum for scrypt). */
const DEFAULTS = { N: 16384, r: 8, p: 1, keyLen: 32, saltLen: 16 } as const;
const SCRYPT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;
const FAST_PREFIX = 'hmac-sha256';
/** 16-byte salt and 32-byte digest, base64url without padding: exactly 22 and 43 characters. */
const FAST = /^hmac-sha256\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})$/;

/** Bytes of a secret made by {@link generateSecret}: 256 bits. */
export const GENERATED_SECRET_BYTES = 32;
/**
 * The shortest secret the fast scheme hashes when it is not generated here: 32 characters, at
 * least 128 bits even if random over lowercase letters and digits only. A guard against a human
 * password slipping into the fast scheme, not a proof of randomness (docs/operations.md).
 */
export const FAST_MIN_LENGTH = 32;

type Parsed =
  | { scheme: 'scrypt'; N: number; r: number; p: number; salt: Buffer; hash: Buffer }
  | { scheme: 'fast'; salt: Buffer; hash: Buffer };

/** The scheme of a stored secret, or undefined when `s` is no stored secret (e.g. plaintext). */
export function secretScheme(s: string): SecretScheme | undefined {
  return SCRYPT.test(s) ? 'scrypt' : FAST.test(s) ? 'fast' : undefined;
}

/** True when `s` has the shape of a stored secret of either scheme. */
export function isHashedSecret(s: string): boolean {
  return secretScheme(s) !== undefined;
}

function parse(stored: string): Parsed {
  const f = FAST.exec(stored);
  if (f) return { scheme: 'fast', salt: Buffer.from(f[1]!, 'base64url'), hash: Buffer.from(f[2]!, 'base64url') };
  const m = SCRYPT.exec(stored);
  if (!m) {
    throw new HubError(
      'HUB_ERR_SECRET_FORMAT',
      'expected "scrypt$N$r$p$salt$hash" or "hmac-sha256$salt$digest" (print one with `community-hub secret hash`)',
    );
  }
  return {
    scheme: 'scrypt',
    N: Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
    salt: Buffer.from(m[4]!, 'base64'),
    hash: Buffer.from(m[5]!, 'base64'),
  };
}

const hmac = (salt: Buffer, plain: string | Buffer): Buffer => createHmac('sha256', salt).update(plain).digest();

/** A random machine secret: {@link GENERATED_SECRET_BYTES} bytes, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
}

/**
 * Hash a plaintext secret for the inventory or config. `scrypt` (the default) for anything a person
 * chose; `fast` only for a generated secret of full entropy (see the top of this file).
 */
export function hashSecret(plain: string, scheme: SecretScheme = 'scrypt'): string {
  const salt = randomBytes(DEFAULTS.saltLen);
  if (scheme === 'fast')
    return [FAST_PREFIX, salt.toString('base64url'), hmac(salt, plain).toString('base64url')].join('$');
  const hash = scryptSync(plain, salt, DEFAULTS.keyLen, { N: DEFAULTS.N, r: DEFAULTS.r, p: DEFAULTS.p });
  return ['scrypt', DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/**
 * Stored secrets that never match, checked for an unknown username so it costs what a wrong secret
 * of a known account costs and the answer does not reveal which ids exist.
 */
export const DECOY_SECRETS: Readonly<Record<SecretScheme, string>> = {
  scrypt: 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  fast: 'hmac-sha256$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
};

/**
 * The decoy for the accounts `stored`: of the scheme most of them use (scrypt on a tie or when
 * there are none), so an unknown username takes as long as a wrong secret of a typical account.
 * With generated machine secrets that is the fast one: unknown usernames then cost no scrypt and
 * cannot fill the scrypt limiter either.
 */
export function decoySecret(stored: Iterable<string>): string {
  let fast = 0;
  let total = 0;
  for (const s of stored) {
    total++;
    if (FAST.test(s)) fast++;
  }
  return DECOY_SECRETS[fast * 2 > total ? 'fast' : 'scrypt'];
}

const decoys = new WeakMap<object, string>();

/**
 * {@link decoySecret} of an inventory's gateways, remembered per `sites` array: a reloaded
 * inventory (a new array) gets its own, with no scan per CONNECT.
 */
export function decoyForSites(sites: readonly { readonly gateways: readonly { readonly secret: string }[] }[]): string {
  let decoy = decoys.get(sites);
  if (decoy === undefined) {
    decoy = decoySecret(sites.flatMap((s) => s.gateways.map((g) => g.secret)));
    decoys.set(sites, decoy);
  }
  return decoy;
}

/**
 * How many scrypt derivations may run at once: half of libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise). The pool also runs every fs call, and the spool's fsyncs
 * acknowledge messages: a reconnect storm of 1,000 gateways once held all four threads for
 * seconds and stalled acknowledgements behind it (bench/auth.bench.ts measures the stall).
 * Fast-scheme checks (one HMAC, microseconds, on the event loop) never queue here.
 */
export const SCRYPT_CONCURRENCY = Math.max(1, Math.floor((Number(process.env.UV_THREADPOOL_SIZE) || 4) / 2));

let running = 0;
const waiting: Array<() => void> = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= SCRYPT_CONCURRENCY) await new Promise<void>((resolve) => waiting.push(resolve));
  else running++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter (running stays the same), or free it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/**
 * Check `plain` against a stored secret of either scheme; the comparison is constant-time.
 * Fast scheme: one HMAC, right here. scrypt: on the libuv thread pool so a burst of CONNECTs does
 * not block the event loop, at most {@link SCRYPT_CONCURRENCY} at a time so it does not starve the
 * spool's fsyncs either. Rejects with HUB_ERR_SECRET_FORMAT when `stored` is neither scheme.
 */
export async function verifySecret(plain: string | Buffer, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  const { salt, hash } = parsed;
  let derived: Buffer;
  if (parsed.scheme === 'fast') derived = hmac(salt, plain);
  else {
    const { N, r, p } = parsed;
    derived = await limited(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          scryptCb(plain, salt, hash.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
            err ? reject(err) : resolve(key),
          );
        }),
    );
  }
  return derived.length === hash.length && timingSafeEqual(derived, hash);
}
