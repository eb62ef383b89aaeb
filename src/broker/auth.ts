/**
 * CONNECT authentication (docs/contract.md §2): username = gateway id, password = its secret,
 * checked against the inventory's stored secret (scrypt or fast scheme, src/secret.ts; the check
 * itself is src/broker/credentials.ts, shared with the EMQX endpoints); or a read-only observer
 * account from the config; or, on the TLS listener with `mqtt.tlsClientCerts`,
 * a client certificate naming the gateway (src/broker/client-cert.ts), without a password.
 * Never by client id. Refusals carry the CONNACK return code of [MQTT-3.2.2-5] / table 3.1:
 * 3 server unavailable, 4 bad user name or password, 5 not authorized.
 */
import type { AuthErrorCode, AuthenticateError, Client } from 'aedes';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { Inventory } from '../config/inventory.ts';
import type { Logger } from '../log.ts';
import type { Account } from './acl.ts';
import { clientCert, type ClientCert } from './client-cert.ts';
import { checkCredentials, type CredentialDeps } from './credentials.ts';
import type { RefusalCounter, RefusalReason } from './refusals.ts';
import type { MqttConfig } from './types.ts';

/** What the broker remembers of an authenticated connection. */
export interface Session {
  account: Account;
  /** The client id as sent in CONNECT (the registered id is namespaced, see below). */
  clientId: string;
  remote: string;
  conn: Duplex;
  /** Set once this connection's offline state was reported (status `offline` or its Will). */
  offlineReported: boolean;
  /** Set once aedes reported the session ready and presence counted it (src/broker/index.ts). */
  counted?: boolean;
}

/** The aedes `authenticate` handler's signature. */
type AuthenticateHandler = (
  client: Client,
  username: string | undefined,
  password: Buffer | undefined,
  done: (error: AuthenticateError | null, success: boolean | null) => void,
) => void;

/** CONNACK return code of each CONNECT refusal. */
const CODES = {
  anonymous: 5, // not authorized: nobody may connect without a username
  bad_username: 4, // the user name is malformed for this hub
  unknown_user: 4, // same code as a wrong secret: do not reveal which usernames exist
  bad_secret: 4,
  auth_error: 3,
  connection_limit: 3, // [MQTT-3.2.2-5] table 3.1: "the MQTT service is unavailable"
  // The client holds a certificate of the operator's CA or has none: no id to hide, "not authorized".
  cert_required: 5,
  cert_unverified: 5,
  cert_unknown: 5,
  cert_mismatch: 4, // the user name contradicts the certificate: a bad user name
} as const satisfies Partial<Record<RefusalReason, AuthErrorCode>>;

/** Dependencies of the authenticator: the credential check's (src/broker/credentials.ts) and the broker's. */
export interface AuthDeps extends CredentialDeps {
  config: MqttConfig;
  logger: Logger;
  refusals: RefusalCounter;
  sessions: WeakMap<Client, Session>;
  /** Connections that passed CONNECT and are still open (the `maxConnections` budget). */
  admitted: Set<Duplex>;
  remoteOf: (conn: Duplex) => string;
}

/** Build the aedes `authenticate` handler. */
export function createAuthenticator(deps: AuthDeps): AuthenticateHandler {
  return (client, username, password, done) => {
    const conn = client.conn as Duplex;
    const clientId = client.id;
    const remote = deps.remoteOf(conn);
    const refuse = (reason: keyof typeof CODES, detail?: string): void => {
      deps.refusals.refuse(reason, { username, clientId, remote, detail });
      const error = Object.assign(new Error(`connection refused: ${reason}`), {
        returnCode: CODES[reason] as AuthErrorCode,
      });
      done(error, null);
    };
    const admit = (granted: Account): void => {
      // Admitted synchronously after the check (cached or scrypt): no race between concurrent
      // CONNECTs over the limit.
      if (deps.admitted.size >= deps.config.maxConnections) return refuse('connection_limit');
      deps.admitted.add(conn);
      deps.sessions.set(client, { account: granted, clientId, remote, conn, offlineReported: false });
      // [MQTT-3.1.4-2] a second CONNECT with a registered client id disconnects the first. Keyed
      // by username too, so one account can never take over another's session by its client id.
      (client as { id: string }).id = `${granted.username}/${clientId}`;
      done(null, true);
    };
    if (deps.config.tlsClientCerts !== 'off') {
      const cert = clientCert(conn);
      if (cert.kind !== 'none') return certificateLogin(cert, username, deps.inventory, refuse, admit);
      if (deps.config.tlsClientCerts === 'required' && conn instanceof TLSSocket) return refuse('cert_required');
      // `optional`, or another listener: the username and password below.
    }
    void checkCredentials(deps, username, password).then((verdict) => {
      if (verdict.ok) {
        // The socket went away during the check: aedes ignores the answer; do not admit a closed conn.
        if (client.closed) return done(null, false);
        return admit(verdict.account);
      }
      const { reason, detail } = verdict;
      if (reason === 'auth_error') deps.logger.error({ err: verdict.error, username }, 'mqtt secret check failed');
      // A secret was checked and the socket went away meanwhile: nobody is left to answer.
      else if (reason !== 'anonymous' && reason !== 'bad_username' && client.closed) return done(null, false);
      refuse(reason, detail);
    });
  };
}

/**
 * A CONNECT that came with a client certificate (docs/contract.md §2): it must verify against the
 * CA and name exactly one inventory gateway (CN or DNS subjectAltName); a username, if sent, must
 * be that gateway's id. A password is not checked: the certificate is the credential, and a
 * presented certificate never falls back to the password.
 */
function certificateLogin(
  cert: Exclude<ClientCert, { kind: 'none' }>,
  username: string | undefined,
  inventory: Inventory,
  refuse: (reason: keyof typeof CODES, detail?: string) => void,
  admit: (granted: Account) => void,
): void {
  const named = `certificate names ${cert.names.map((n) => JSON.stringify(n)).join(', ') || 'nothing'}`;
  if (cert.kind === 'unverified') return refuse('cert_unverified', `${cert.error}; ${named}`);
  if (username !== undefined && username !== '' && !cert.names.includes(username)) {
    return refuse('cert_mismatch', named);
  }
  const ids = username ? [username] : cert.names;
  const gateways = ids.filter((id) => !/[+#/]/.test(id) && inventory.gateway(id));
  // Two gateway ids in one certificate: which one it is must not depend on the order of its names.
  if (gateways.length !== 1) return refuse('cert_unknown', named);
  const id = gateways[0]!;
  admit({ kind: 'gateway', username: id, site: inventory.gateway(id)!.site });
}
