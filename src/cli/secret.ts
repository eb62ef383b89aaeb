/**
 * `community-hub secret hash`: print the stored form of a secret (docs/contract.md §1, §7).
 * The rule for the scheme: `--generate` → fast (`hmac-sha256$…`, the secret is 256 random bits);
 * a secret read on stdin → scrypt, unless `--scheme fast` asks otherwise (and the secret is at
 * least FAST_MIN_LENGTH characters). `--scheme` overrides both defaults.
 */
import { HubError } from '../errors.ts';
import { FAST_MIN_LENGTH, generateSecret, hashSecret, type SecretScheme } from '../secret.ts';
import { parse } from './args.ts';

export const SECRET_HELP = `Usage: community-hub secret hash [--generate] [--scheme fast|scrypt]

Prints the stored form of a secret to put in the inventory (gateway secrets), the
config's observer accounts or http.adminKeys / http.operatorKeys. Two schemes:

  fast    "hmac-sha256$…": for generated machine secrets (gateways). Checked in
          microseconds, so a restart's reconnect storm costs no CPU.
  scrypt  "scrypt$…": for anything a person chose. Slow on purpose (about 50 ms a
          check) so a leaked hash resists guessing.

  community-hub secret hash --generate                # new gateway secret, fast scheme
  echo -n 's3cret' | community-hub secret hash        # a person's secret, scrypt

Options:
  --generate        make a random secret (32 bytes, base64url) instead of reading one;
                    prints the secret on the first line and its hash on the second.
                    Default scheme: fast
  --scheme SCHEME   fast or scrypt. Default: fast with --generate, scrypt for a secret
                    read on standard input (fast needs at least ${FAST_MIN_LENGTH} characters)
  -h, --help        show this help
`;

const SCHEMES: readonly SecretScheme[] = ['fast', 'scrypt'];

/** Run `secret <sub>`; returns the text to print. */
export async function secretCommand(argv: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const { values, positionals } = parse('community-hub secret', argv, {
    generate: { type: 'boolean' },
    scheme: { type: 'string' },
  });
  if (values.help) return SECRET_HELP;
  if (positionals[0] !== 'hash' || positionals.length > 1) {
    throw new HubError(
      'HUB_ERR_USAGE',
      'community-hub secret: expected the subcommand "hash" (see `community-hub secret --help`)',
    );
  }
  if (values.scheme !== undefined && !SCHEMES.includes(values.scheme as SecretScheme)) {
    throw new HubError(
      'HUB_ERR_USAGE',
      `community-hub secret hash: --scheme must be fast or scrypt, not "${values.scheme}"`,
    );
  }
  if (values.generate) {
    const secret = generateSecret();
    return `${secret}\n${hashSecret(secret, (values.scheme as SecretScheme | undefined) ?? 'fast')}\n`;
  }
  const scheme = (values.scheme as SecretScheme | undefined) ?? 'scrypt';
  let text = '';
  for await (const chunk of stdin) text += chunk.toString();
  // One trailing newline is what `echo` and a terminal add; it is not part of the secret.
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length === 0)
    throw new HubError(
      'HUB_ERR_USAGE',
      'community-hub secret hash: no secret on standard input (try: echo -n "…" | community-hub secret hash)',
    );
  // The fast scheme is only safe for a secret too random to guess (src/secret.ts): refuse what
  // looks like a person's password rather than store it with a hash anyone can test quickly.
  if (scheme === 'fast' && secret.length < FAST_MIN_LENGTH)
    throw new HubError(
      'HUB_ERR_USAGE',
      `community-hub secret hash: --scheme fast is for generated machine secrets of at least ${FAST_MIN_LENGTH} ` +
        `characters (this one has ${secret.length}); use --generate, or scrypt for a secret a person chose`,
    );
  return `${hashSecret(secret, scheme)}\n`;
}
