/** `community-hub secret hash`: read a secret on stdin, print the `scrypt$…` string (docs/contract.md §7). */
import { randomBytes } from 'node:crypto';
import { HubError } from '../errors.ts';
import { hashSecret } from '../secret.ts';
import { parse } from './args.ts';

export const SECRET_HELP = `Usage: community-hub secret hash [--generate]

Reads a secret on standard input and prints the "scrypt$…" string to put in the inventory
(gateway secrets, observer accounts) or in http.adminKeys / http.operatorKeys.

  echo -n 's3cret' | community-hub secret hash

Options:
  --generate   make a random secret instead of reading one; prints the secret on
               the first line and its hash on the second
  -h, --help   show this help
`;

/** Run `secret <sub>`; returns the text to print. */
export async function secretCommand(argv: string[], stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const { values, positionals } = parse('community-hub secret', argv, { generate: { type: 'boolean' } });
  if (values.help) return SECRET_HELP;
  if (positionals[0] !== 'hash' || positionals.length > 1) {
    throw new HubError(
      'HUB_ERR_USAGE',
      'community-hub secret: expected the subcommand "hash" (see `community-hub secret --help`)',
    );
  }
  if (values.generate) {
    const secret = randomBytes(24).toString('base64url');
    return `${secret}\n${hashSecret(secret)}\n`;
  }
  let text = '';
  for await (const chunk of stdin) text += chunk.toString();
  // One trailing newline is what `echo` and a terminal add; it is not part of the secret.
  const secret = text.replace(/\r?\n$/, '');
  if (secret.length === 0)
    throw new HubError(
      'HUB_ERR_USAGE',
      'community-hub secret hash: no secret on standard input (try: echo -n "…" | community-hub secret hash)',
    );
  return `${hashSecret(secret)}\n`;
}
