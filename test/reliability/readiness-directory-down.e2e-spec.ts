import { startTestApp, TestApp } from '../support/app';
import { introspect, postForm, registerStandardClients, SERVICE } from '../support/oauth';
import { Slapd, startSlapd } from '../support/slapd';

/**
 * Readiness means "this instance can serve". An LDAP outage hits every instance alike: failing
 * readiness for it would pull them all out of the load balancer, and with them the refreshes,
 * introspections and JWKS that do not need the directory.
 */
describe('readiness with the directory down', () => {
  let slapd: Slapd;
  let t: TestApp;

  beforeAll(async () => {
    slapd = await startSlapd();
    t = await startTestApp({ env: slapd.env });
    await registerStandardClients(t);
  });

  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  });

  const ready = async () => {
    const response = await fetch(`${t.baseUrl}/health/ready`);
    return { status: response.status, body: await response.json() };
  };

  it('is ok with every dependency up', async () => {
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'up' },
        signingKeys: { status: 'up' },
        directory: { status: 'up', adapter: 'ldap' },
      },
    });
  });

  it('stays 200 with slapd stopped, reporting the directory degraded and naming no host or port', async () => {
    await slapd.stop();
    const { status, body } = await ready();
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'degraded',
      checks: {
        database: { status: 'up' },
        signingKeys: { status: 'up' },
        directory: { status: 'degraded', adapter: 'ldap' },
      },
    });
    expect(JSON.stringify(body)).not.toContain(new URL(slapd.url).port);
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ldap:\/\//);
  });

  it('keeps serving what does not need the directory: tokens and introspection', async () => {
    const response = await postForm(
      t,
      '/oauth2/token',
      { grant_type: 'client_credentials' },
      { id: SERVICE.clientId, secret: SERVICE.secret },
    );
    expect(response.status).toBe(200);
    const { access_token: accessToken } = await response.json();
    expect(await introspect(t, accessToken)).toMatchObject({ active: true, client_id: SERVICE.clientId });
  });
});
