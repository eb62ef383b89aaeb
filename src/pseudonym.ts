/**
 * Pseudonyms for household and credential ids (docs/contract.md §3: keyed HMAC-SHA256, key from
 * config or environment, applied before anything reaches InfluxDB, logs or reports).
 *
 * Format: `px_` + the first 16 hex digits (64 bits) of HMAC-SHA256(key, raw id), e.g.
 * `px_3f9a0c17b2d45e88`.
 *
 * - Stable: the same key and id always give the same pseudonym, so "distinct households" can be
 *   counted (docs/contract.md §5) and a replay writes the same value.
 * - Keyed: without the key, a pseudonym cannot be recomputed from a guessed id. Household ids are
 *   easy to enumerate (building-unit numbers), so the key is what protects them: keep it secret,
 *   and at least 16 bytes long (32 random bytes recommended). Changing the key changes every
 *   pseudonym, which breaks counting across the change.
 * - Length: 64 bits keeps tags short. The chance that any two of n distinct ids share a pseudonym
 *   is about n² / 2⁶⁵: for a million ids about 3 × 10⁻⁸, for the 1,200 households of a site about
 *   4 × 10⁻¹⁴. A collision would merge two households in the distinct-household KPIs.
 * - The prefix marks the value as a pseudonym in dashboards and keeps it from being mistaken for a
 *   raw id (the raw ids seen so far, e.g. `H-3-1203`, never have this form).
 *
 * Household ids are normalised before they are pseudonymised ({@link normaliseHouseholdId}), at
 * ingest and when the inventory loads a roster, so `h-3-1203`, ` H-3-1203 ` and `Ｈ-3-1203` are one
 * household. Credential ids (card numbers) are pseudonymised as sent.
 */
import { createHmac } from 'node:crypto';
import { HubError } from './errors.ts';

/** Prefix of every pseudonym. */
export const PSEUDONYM_PREFIX = 'px_';
/** Hex digits kept from the HMAC (64 bits). */
export const PSEUDONYM_HEX_DIGITS = 16;
/** Shortest key accepted, in bytes. */
export const MIN_PSEUDONYM_KEY_BYTES = 16;

/** A function from a raw id to its pseudonym. */
export type Pseudonymiser = (raw: string) => string;

/**
 * Make a pseudonymiser for `key`. Throws `HUB_ERR_CONFIG_INVALID` when the key is shorter than
 * MIN_PSEUDONYM_KEY_BYTES, so a hub never starts with a guessable key.
 */
export function createPseudonymiser(key: string | Buffer): Pseudonymiser {
  const k = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key);
  if (k.length < MIN_PSEUDONYM_KEY_BYTES) {
    throw new HubError(
      'HUB_ERR_CONFIG_INVALID',
      `the pseudonym key (HUB_PSEUDONYM_KEY) must be at least ${MIN_PSEUDONYM_KEY_BYTES} bytes long, got ${k.length}`,
    );
  }
  return (raw: string) =>
    PSEUDONYM_PREFIX + createHmac('sha256', k).update(raw, 'utf8').digest('hex').slice(0, PSEUDONYM_HEX_DIGITS);
}

/**
 * The household id rule (docs/contract.md §3), the same at ingest and in rosters: Unicode NFKC
 * (full-width `Ｈ－３` → `H-3`), then trim white space at both ends, then upper-case
 * (locale-independent). `h-3-1203` and `H-3-1203 ` are the same household. Inner spaces are kept.
 * Introducing the rule changed the pseudonym of every id it changes: data stored before it keeps
 * the old pseudonyms of such ids (src/kpi/README.md, "Rosters").
 */
export function normaliseHouseholdId(raw: string): string {
  return raw.normalize('NFKC').trim().toUpperCase();
}

/** A pseudonymiser of household ids: normalise ({@link normaliseHouseholdId}), then pseudonymise. */
export function householdPseudonymiser(pseudonymise: Pseudonymiser): Pseudonymiser {
  return (raw: string) => pseudonymise(normaliseHouseholdId(raw));
}
