/**
 * Stored secrets (gateway passwords, API keys): `scrypt$N$r$p$<salt b64>$<hash b64>`.
 * Never plaintext in the inventory (docs/contract.md §1); verification runs in constant time.
 */
import { randomBytes, scrypt as scryptCb, scryptSync, timingSafeEqual } from 'node:crypto';
import { HubError } from './errors.ts';

const PREFIX = 'scrypt';
/** scrypt cost parameters for new hashes: N=2^14, r=8, p=1 (OWASP's minimum for scrypt). */
const DEFAULTS = { N: 16384, r: 8, p: 1, keyLen: 32, saltLen: 16 } as const;
const FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

interface Parsed {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

/** True when `s` has the shape of a stored secret. */
export function isHashedSecret(s: string): boolean {
  return FORMAT.test(s);
}

function parse(stored: string): Parsed {
  const m = FORMAT.exec(stored);
  if (!m) {
    throw new HubError(
      'HUB_ERR_SECRET_FORMAT',
      'expected "scrypt$N$r$p$salt$hash" (print one with `community-hub secret hash`)',
    );
  }
  return {
    N: Number(m[1]),
    r: Number(m[2]),
    p: Number(m[3]),
    salt: Buffer.from(m[4]!, 'base64'),
    hash: Buffer.from(m[5]!, 'base64'),
  };
}

/** Hash a plaintext secret for the inventory or config. */
export function hashSecret(plain: string): string {
  const salt = randomBytes(DEFAULTS.saltLen);
  const hash = scryptSync(plain, salt, DEFAULTS.keyLen, { N: DEFAULTS.N, r: DEFAULTS.r, p: DEFAULTS.p });
  return [PREFIX, DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/**
 * How many scrypt derivations may run at once: half of libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise). The pool also runs every fs call, and the spool's fsyncs
 * acknowledge messages: a reconnect storm of 1,000 gateways once held all four threads for
 * seconds and stalled acknowledgements behind it (bench/auth.bench.ts measures the stall).
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
 * Check `plain` against a stored secret. The comparison is constant-time; scrypt runs on the
 * libuv thread pool so a burst of CONNECTs does not block the event loop, at most
 * {@link SCRYPT_CONCURRENCY} at a time so it does not starve the spool's fsyncs either.
 */
export async function verifySecret(plain: string | Buffer, stored: string): Promise<boolean> {
  const { N, r, p, salt, hash } = parse(stored);
  const derived = await limited(
    () =>
      new Promise<Buffer>((resolve, reject) => {
        scryptCb(plain, salt, hash.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
          err ? reject(err) : resolve(key),
        );
      }),
  );
  return derived.length === hash.length && timingSafeEqual(derived, hash);
}
