/**
 * Verified-credential cache for CONNECT (as mosquitto-go-auth's auth cache): after a gateway's
 * password passed scrypt, remember an HMAC-SHA256 of it under a random per-process key (never
 * persisted, never logged) with the inventory hash it was verified against. A later CONNECT with
 * the same username, a password with the same HMAC and an unchanged inventory hash is accepted
 * without scrypt, so a reconnect storm after a network blip does not fill the libuv thread pool
 * the spool's fsyncs need.
 *
 * Security:
 * - Only a success ever writes an entry, and only a matching password ever reads one: a wrong
 *   password always goes on to scrypt, so a failed attempt costs what it did (brute force stays
 *   at scrypt speed and timing tells nothing new; a right password answered fast is no oracle,
 *   the client is in anyway).
 * - A failure never evicts an entry: an entry matches only the password scrypt accepted, so it
 *   cannot help an attacker, while evicting on failure would let anyone who knows a gateway id
 *   (they are not secret) throw the legitimate gateway back onto scrypt with one bad CONNECT,
 *   undoing the cache in exactly the storm it is for.
 * - Entries expire `ttlMs` after the scrypt that made them (a hit does not extend it), so a secret
 *   revoked by some other means than the inventory is re-checked within the TTL.
 * - Keyed by the inventory's hash string: a changed secret (new hash) never matches an old entry.
 * - Bounded: one entry per inventory gateway, the caller caches nothing else.
 * - What memory holds is HMAC(key, password) and the key: someone who can read the process'
 *   memory could test guesses at HMAC speed rather than scrypt speed; they could as well read the
 *   passwords of the CONNECT packets as they arrive.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Counters of the cache, for the broker's stats. */
export interface AuthCacheStats {
  /** CONNECTs accepted from the cache, without scrypt. */
  hits: number;
  /** Gateway CONNECTs checked with scrypt (no entry, expired, another hash or another password). */
  misses: number;
  /** Entries held (expired ones go when next looked up). */
  entries: number;
}

interface Entry {
  digest: Buffer;
  /** The inventory hash string the password was verified against. */
  stored: string;
  expiresAt: number;
}

export interface AuthCacheOptions {
  /** How long an entry is trusted after its scrypt; 0 disables the cache. */
  ttlMs: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
}

export class AuthCache {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #ttlMs: number;
  #hits = 0;
  #misses = 0;

  constructor(options: AuthCacheOptions) {
    this.#ttlMs = options.ttlMs;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0;
  }

  /** The keyed digest of a password presented for `username`. */
  digest(username: string, password: Buffer): Buffer {
    const user = Buffer.from(username, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(user.length);
    return createHmac('sha256', this.#key).update(len).update(user).update(password).digest();
  }

  /**
   * True when `digest` was verified for `username` against `stored` within the TTL (counted as a
   * hit); otherwise counts a miss, and the caller runs scrypt. Never evicts on a mismatch.
   */
  check(username: string, digest: Buffer, stored: string): boolean {
    const entry = this.#entries.get(username);
    if (entry && entry.expiresAt <= this.#now()) this.#entries.delete(username);
    else if (
      entry &&
      entry.stored === stored &&
      entry.digest.length === digest.length &&
      timingSafeEqual(entry.digest, digest)
    ) {
      this.#hits++;
      return true;
    }
    this.#misses++;
    return false;
  }

  /** Remember a password scrypt just accepted for `username` against `stored`. */
  remember(username: string, digest: Buffer, stored: string): void {
    if (!this.enabled) return;
    this.#entries.set(username, { digest, stored, expiresAt: this.#now() + this.#ttlMs });
  }

  stats(): AuthCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }
}
