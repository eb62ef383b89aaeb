/**
 * The credential check of docs/contract.md §2 (username = gateway id or observer, password = its
 * secret, against the stored form in constant time), in one place for every way a client logs in:
 * the embedded broker's CONNECT (src/broker/auth.ts) and an external broker asking the hub over
 * HTTP (the EMQX endpoints, src/api/routes/emqx.ts). Never by client id.
 */
import type { Inventory } from '../config/inventory.ts';
import { decoyForSites, verifySecret } from '../secret.ts';
import type { Account } from './acl.ts';
import type { AuthCache } from './auth-cache.ts';
import type { MqttConfig } from './types.ts';

/** What checking a username and password needs. */
export interface CredentialDeps {
  config: Pick<MqttConfig, 'observers'>;
  /** Looked up per check: a reloaded inventory applies to the next login. */
  inventory: Inventory;
  /** Verified-credential cache (src/broker/auth-cache.ts); absent or disabled: scrypt every time. */
  cache?: AuthCache | undefined;
  /** The secret check; injectable so tests can count calls. */
  verify?: (plain: Buffer, stored: string) => Promise<boolean>;
}

/** Why a login was refused (each a refusal reason of docs/contract.md §2). */
export type CredentialRefusal = 'anonymous' | 'bad_username' | 'unknown_user' | 'bad_secret' | 'auth_error';

/** The outcome of a check. */
export type CredentialVerdict =
  { ok: true; account: Account } | { ok: false; reason: CredentialRefusal; detail?: string; error?: unknown };

/**
 * The account `username` may act as, once `password` matched its stored secret. An unknown
 * username is checked against a decoy of the scheme most gateways use, so it costs what a wrong
 * secret costs and the answer does not reveal which ids exist (src/secret.ts). `password`
 * undefined: none was sent (a wrong secret, said so in `detail`).
 */
export async function checkCredentials(
  deps: CredentialDeps,
  username: string | undefined,
  password: Buffer | undefined,
): Promise<CredentialVerdict> {
  // [MQTT-3.1.3-11] a username is a UTF-8 string; an empty one is as anonymous as none.
  if (username === undefined || username === '') return { ok: false, reason: 'anonymous' };
  // Topic wildcards or levels in a username could widen a topic rule built from it.
  if (/[+#/]/.test(username)) return { ok: false, reason: 'bad_username' };

  const gateway = deps.inventory.gateway(username);
  const observer = gateway ? undefined : deps.config.observers.find((o) => o.username === username);
  const account: Account | undefined = gateway
    ? { kind: 'gateway', username, site: gateway.site }
    : observer
      ? { kind: 'observer', username }
      : undefined;
  const stored = gateway?.secret ?? observer?.secret ?? decoyForSites(deps.inventory.sites);
  const presented = password ?? Buffer.alloc(0);
  // Only inventory gateways are cached (one entry each at most). The digest is only ever compared
  // with what a successful scrypt left; a wrong password falls through to scrypt.
  const cache = gateway && password !== undefined && deps.cache?.enabled ? deps.cache : undefined;
  const digest = cache?.digest(username, presented);
  if (account && cache && digest && cache.check(username, digest, stored)) return { ok: true, account };
  let ok: boolean;
  try {
    ok = await (deps.verify ?? verifySecret)(presented, stored);
  } catch (error) {
    return { ok: false, reason: 'auth_error', error };
  }
  if (ok && cache && digest) cache.remember(username, digest, stored);
  if (!account) return { ok: false, reason: 'unknown_user' };
  if (!ok) return { ok: false, reason: 'bad_secret', ...(password === undefined ? { detail: 'no password' } : {}) };
  return { ok: true, account };
}
