/**
 * What a gateway's TLS client certificate says (docs/contract.md §2, "Authentication and access
 * rules"): whether it verified against `mqtt.tlsCaFile`, and the names it carries (subject CN and
 * DNS subjectAltNames), which authentication matches against the inventory's gateway ids.
 * The handshake does not reject a bad certificate (src/broker/listeners.ts says why), so the
 * verdict Node reached during it is read here, at CONNECT.
 */
import type { Duplex } from 'node:stream';
import { TLSSocket, type PeerCertificate } from 'node:tls';

/** The client certificate of a connection. */
export type ClientCert =
  /** Not a TLS connection, or the client sent no certificate. */
  | { kind: 'none' }
  /** Sent, but it does not verify against the CA (another CA, expired, self-signed…). */
  | { kind: 'unverified'; error: string; names: string[] }
  /** Verified against the CA; `names` are its CN(s) and DNS subjectAltNames, deduplicated. */
  | { kind: 'verified'; names: string[] };

/** The client certificate `conn` presented in its TLS handshake. */
export function clientCert(conn: Duplex): ClientCert {
  if (!(conn instanceof TLSSocket)) return { kind: 'none' };
  const cert = conn.getPeerCertificate();
  // Node answers an empty object when the client sent no certificate.
  if (!cert || cert.raw === undefined) return { kind: 'none' };
  const names = namesOf(cert);
  if (!conn.authorized) {
    const error = conn.authorizationError;
    return { kind: 'unverified', error: error instanceof Error ? error.message : String(error), names };
  }
  return { kind: 'verified', names };
}

/** Subject CN(s) and DNS subjectAltNames of `cert`, in that order, without repeats. */
export function namesOf(cert: Pick<PeerCertificate, 'subject' | 'subjectaltname'>): string[] {
  const cn = cert.subject?.CN as string | string[] | undefined;
  const names = cn === undefined ? [] : Array.isArray(cn) ? [...cn] : [cn];
  for (const entry of splitAltNames(cert.subjectaltname ?? '')) {
    if (entry.startsWith('DNS:')) names.push(unquote(entry.slice(4)));
  }
  return [...new Set(names)];
}

/**
 * Node lists subjectAltNames as `DNS:a, DNS:b, IP Address:…`, JSON-quoting a value that holds a
 * comma or a quote: split on the `, ` that ends an entry, not one inside quotes.
 */
function splitAltNames(list: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]!;
    if (ch === '"' && list[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && ch === ',' && list[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  if (current) out.push(current);
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    return value;
  }
}
