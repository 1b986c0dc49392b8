import { generateKeyPairSync } from 'node:crypto';
import { jwksProblems, jwksUriProblem, sectorHost } from './client-keys';

const publicJwk = (key: ReturnType<typeof generateKeyPairSync>['publicKey'], kid: string) => ({
  ...key.export({ format: 'jwk' }),
  kid,
});

describe('a client key set (RFC 7591 jwks): public keys of accepted kinds only', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('accepts EC P-256, Ed25519 and RSA 2048 public keys with distinct kids', () => {
    expect(
      jwksProblems({
        keys: [publicJwk(ec.publicKey, 'a'), publicJwk(ed.publicKey, 'b'), publicJwk(rsa.publicKey, 'c')],
      }),
    ).toEqual([]);
  });

  it('refuses private or symmetric members, naming them but never their values', () => {
    const privateJwk = { ...ec.privateKey.export({ format: 'jwk' }), kid: 'p' };
    const [problem] = jwksProblems({ keys: [privateJwk] });
    expect(problem).toContain('private key members (d)');
    expect(problem).not.toContain(privateJwk.d as string);
    const rsaPrivate = { ...rsa.privateKey.export({ format: 'jwk' }), kid: 'r' };
    expect(jwksProblems({ keys: [rsaPrivate] })[0]).toContain('d, p, q, dp, dq, qi');
    expect(jwksProblems({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'o' }] })[0]).toContain('(k)');
  });

  it('refuses weak or unsupported kinds, missing or repeated kids, and bad shapes', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(jwksProblems({ keys: [publicJwk(small.publicKey, 's')] })[0]).toContain('at least 2048 bits');
    expect(jwksProblems({ keys: [publicJwk(p384.publicKey, 'e')] })[0]).toContain('P-256');
    expect(jwksProblems({ keys: [{ ...ec.publicKey.export({ format: 'jwk' }) }] })[0]).toContain('needs a kid');
    expect(jwksProblems({ keys: [publicJwk(ec.publicKey, 'x'), publicJwk(ed.publicKey, 'x')] })[0]).toContain(
      'appears twice',
    );
    expect(jwksProblems({ keys: [{ kty: 'EC', crv: 'P-256', kid: 'z', x: 'AA', y: 'AA' }] })[0]).toContain(
      'well-formed',
    );
    expect(jwksProblems({ keys: [] })).toEqual(['jwks.keys must hold 1 to 10 keys']);
    expect(jwksProblems([])).toEqual(['jwks must be an object with keys']);
  });

  it('takes a jwks_uri over https, plain http only on loopback outside production', () => {
    expect(jwksUriProblem('https://partner.example/jwks', 'production')).toBeNull();
    expect(jwksUriProblem('http://127.0.0.1:8080/jwks', 'test')).toBeNull();
    expect(jwksUriProblem('http://127.0.0.1:8080/jwks', 'production')).toContain('https');
    expect(jwksUriProblem('http://partner.example/jwks', 'test')).toContain('https');
  });
});

describe('a sector identifier (OpenID Connect Core §8.1): stored as its host', () => {
  it.each([
    ['partner.example', 'partner.example'],
    ['Partner.Example', 'partner.example'],
    ['https://Partner.Example/sectors.json', 'partner.example'],
  ])('%s is the sector %s', (raw, host) => expect(sectorHost(raw)).toBe(host));

  it.each([
    'http://partner.example',
    'localhost',
    '127.0.0.1',
    'partner.example/path',
    'https://partner.example:8443',
    '',
  ])('%s is not a sector', (raw) => expect(sectorHost(raw)).toBeNull());
});
