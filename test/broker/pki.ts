/**
 * A private PKI for the mutual-TLS tests, made with Debian's `openssl` CLI (as an operator would,
 * docs/operations.md "Mutual TLS for gateways"): a CA, the hub's server certificate and gateway
 * client certificates, in a temporary folder of the test. EC P-256 keys: quick to make under load.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its key, as PEM files. */
export interface Pem {
  cert: string;
  key: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed CA `name` in `dir` (files `<name>.pem`, `<name>.key`). */
export function makeCa(dir: string, name: string): Pem {
  const pem = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...EC, '-keyout', pem.key, '-out', pem.cert, '-days', '2', '-subj', `/CN=${name}`]);
  return pem;
}

/**
 * A certificate `file` (files `<file>.pem`, `<file>.key`) signed by `ca`, with subject CN `cn`,
 * the given subjectAltNames (`DNS:…`, `IP:…`) and extended key usage (a gateway's by default, as
 * docs/operations.md makes them).
 */
export function issue(
  dir: string,
  ca: Pem,
  file: string,
  cn: string,
  altNames: string[] = [],
  usage: 'clientAuth' | 'serverAuth' = 'clientAuth',
): Pem {
  const pem = { cert: join(dir, `${file}.pem`), key: join(dir, `${file}.key`) };
  const csr = join(dir, `${file}.csr`);
  const ext = join(dir, `${file}.ext`);
  openssl(['req', '-new', ...EC, '-keyout', pem.key, '-out', csr, '-subj', `/CN=${cn}`]);
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      `extendedKeyUsage=${usage}`,
      ...(altNames.length ? [`subjectAltName=${altNames.join(',')}`] : []),
    ].join('\n') + '\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    pem.cert,
    '-days',
    '1',
    '-extfile',
    ext,
  ]);
  return pem;
}

/** The hub's server certificate for 127.0.0.1, signed by `ca`. */
export function serverCert(dir: string, ca: Pem, file = 'server'): Pem {
  return issue(dir, ca, file, 'localhost', ['DNS:localhost', 'IP:127.0.0.1'], 'serverAuth');
}

/** mosquitto_pub's TLS arguments: trust `ca`, present `client` (if any). */
export function tlsArgs(ca: Pem, client?: Pem): string[] {
  return ['--cafile', ca.cert, ...(client ? ['--cert', client.cert, '--key', client.key] : [])];
}
