/**
 * The TLS listener's material: its certificate (chain), its key and, with client certificates on
 * (`mqtt.tlsClientCerts`), the CA that gateway certificates must verify against. Read at start and
 * again at every reload (docs/operations.md, "Rotating TLS certificates"), and checked by building
 * a secure context from it, so a bad file is refused before it replaces what serves connections.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { HubError } from '../errors.ts';
import type { MqttConfig } from './types.ts';

/** Read cert, key and (when client certificates are on) CA; throws `HUB_ERR_TLS_INVALID`. */
export async function loadTlsMaterial(config: MqttConfig): Promise<SecureContextOptions> {
  if (!config.tlsCertFile || !config.tlsKeyFile) {
    throw new HubError(
      'HUB_ERR_CONFIG_INVALID',
      'mqtt.tlsPort is set, so mqtt.tlsCertFile and mqtt.tlsKeyFile are needed too',
    );
  }
  const wantCa = config.tlsClientCerts !== 'off';
  const [cert, key, ca] = await Promise.all([
    readPem(config.tlsCertFile, 'mqtt.tlsCertFile'),
    readPem(config.tlsKeyFile, 'mqtt.tlsKeyFile'),
    wantCa && config.tlsCaFile ? readPem(config.tlsCaFile, 'mqtt.tlsCaFile') : undefined,
  ]);
  // `ca` replaces Node's public roots for verifying clients: only the operator's CA signs gateways.
  const material: SecureContextOptions = { cert, key, ...(ca ? { ca } : {}) };
  try {
    // Node skips a CA block it cannot parse without a word; an empty CA would refuse every gateway.
    if (ca) checkCertificates(ca);
    createSecureContext(material);
  } catch (cause) {
    const files = [config.tlsCertFile, config.tlsKeyFile, ...(ca ? [config.tlsCaFile] : [])].join(', ');
    throw new HubError(
      'HUB_ERR_TLS_INVALID',
      `mqtt TLS material is not usable (${files}): ${(cause as Error).message}`,
      { cause },
    );
  }
  return material;
}

/** Every PEM certificate of `pem` parses, and there is at least one. */
function checkCertificates(pem: Buffer): void {
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('mqtt.tlsCaFile holds no PEM certificate');
  for (const block of blocks) new X509Certificate(block);
}

async function readPem(file: string, key: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new HubError(
      'HUB_ERR_TLS_INVALID',
      `${key}: cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? cause})`,
      { cause },
    );
  }
}
