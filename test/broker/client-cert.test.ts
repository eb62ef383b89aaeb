/** The names a client certificate offers to authentication (src/broker/client-cert.ts), as Node reports them. */
import { describe, expect, it } from 'vitest';
import { namesOf } from '../../src/broker/client-cert.ts';

describe('namesOf', () => {
  it('takes the CN, then the DNS subjectAltNames, without repeats; other kinds of name are ignored', () => {
    expect(
      namesOf({
        subject: { CN: 'gw-east' } as never,
        subjectaltname: 'DNS:gw-east, IP Address:127.0.0.1, DNS:gw-spare, email:ops@example.org',
      }),
    ).toEqual(['gw-east', 'gw-spare']);
  });

  it('reads every CN of a subject with several, and a certificate without any name', () => {
    expect(namesOf({ subject: { CN: ['a', 'b'] } as never, subjectaltname: '' })).toEqual(['a', 'b']);
    expect(namesOf({ subject: {} as never, subjectaltname: undefined as never })).toEqual([]);
  });

  it('does not split a JSON-quoted name at the comma inside it (Node quotes such values)', () => {
    expect(namesOf({ subject: {} as never, subjectaltname: 'DNS:"evil, DNS:gw-east", DNS:gw-west' })).toEqual([
      'evil, DNS:gw-east',
      'gw-west',
    ]);
  });
});
