import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../support/app';

/** This machine's first non-loopback IPv4 address, to call the service the way a neighbour on the network would. */
function networkAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) return found.address;
  }
  return undefined;
}

// A development server listens on every interface (HOST=0.0.0.0); its console's development sign-in mints
// support-agent tokens, so only a caller on the same machine may use it (OWASP ASVS V8: authorization at the
// trusted service layer; the development IdP must not become a network-wide agent token vending machine).
describe('development sign-in: callers on this machine only', () => {
  const keys = mkdtempSync(join(tmpdir(), 'dev-sign-in-network-'));
  const t = useTestApp({
    env: { HOST: '0.0.0.0', AGENT_ISSUER: 'urn:ciam:dev-workforce', AGENT_JWKS_URL: `file:${join(keys, 'jwks.json')}` },
  });
  afterAll(() => rmSync(keys, { recursive: true, force: true }));
  const signIn = (base: string) =>
    fetch(`${base}/console/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'agent-007' }),
    });

  it('mints a token for a caller on loopback', async () => {
    const response = await signIn(t.baseUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tokenType: 'Bearer', agent: 'agent-007' });
  });

  it('refuses the same call from the network (403, no token), whatever X-Forwarded-For says', async () => {
    const address = networkAddress();
    // A machine with no network interface but loopback has no neighbour to refuse.
    if (!address) return;
    const port = new URL(t.baseUrl).port;
    const response = await fetch(`http://${address}:${port}/console/dev-sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '127.0.0.1' },
      body: JSON.stringify({ agent: 'agent-007' }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 403,
      detail: 'The development sign-in answers callers on this machine only.',
    });
    expect(body).not.toHaveProperty('accessToken');
  });
});
