/**
 * CONNECT authentication (docs/contract.md §2): username = gateway id, password = its secret,
 * checked against the inventory's stored secret (scrypt or fast scheme, src/secret.ts; the check
 * itself is src/broker/credentials.ts, shared with the EMQX endpoints); or a
 * read-only observer account from the config.
 * Never by client id. Refusals carry the CONNACK return code of [MQTT-3.2.2-5] / table 3.1:
 * 3 server unavailable, 4 bad user name or password, 5 not authorized.
 */
import type { AuthErrorCode, AuthenticateError, Client } from 'aedes';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.ts';
import type { Account } from './acl.ts';
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
      (client as { id: string }).id = `${username}/${clientId}`;
      done(null, true);
    };
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
