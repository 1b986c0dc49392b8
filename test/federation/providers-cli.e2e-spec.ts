import { useTestApp } from '../support/app';
import { cli } from '../support/cli';
import { auditEvents } from '../support/oauth';

/**
 * Issue 21 item 1: the operator CLI configures upstream providers through the same service as the admin API;
 * the client secret comes from an environment variable, is sealed, never printed and never audited.
 */
jest.setTimeout(240_000);

describe('federation:providers:* (CLI)', () => {
  const t = useTestApp();
  const SECRET = 'cli-provided-upstream-secret-42';

  it('adds, updates, lists and deactivates a provider; the secret stays write-only', async () => {
    process.env.FED_TEST_SECRET = SECRET;
    const added = await cli(
      t,
      'federation:providers:add',
      '--id=gov-eid',
      '--name=Government eID',
      '--kind=oauth2',
      '--authorization-endpoint=https://eid.example.gov/authorize',
      '--token-endpoint=https://eid.example.gov/token',
      '--userinfo-endpoint=https://eid.example.gov/userinfo',
      '--subject-claim=personId',
      '--client-id=bank',
      '--client-secret-env=FED_TEST_SECRET',
      '--acr=loa2',
      '--satisfies-mfa',
      '--scope=profile',
    );
    delete process.env.FED_TEST_SECRET;
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).not.toContain(SECRET);
    expect(JSON.parse(added.stdout)).toMatchObject({
      id: 'gov-eid',
      kind: 'oauth2',
      hasClientSecret: true,
      acr: 'urn:ciam:loa:2',
      satisfiesMfa: true,
      settings: { subjectClaim: 'personId' },
      redirectUri: `${t.config.oidc.issuer}/federation/callback`,
    });

    const refused = await cli(
      t,
      'federation:providers:add',
      '--id=bad',
      '--name=Bad',
      '--kind=oidc',
      '--client-id=x',
      '--acr=loa1',
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('issuer');

    const updated = await cli(
      t,
      'federation:providers:update',
      '--id=gov-eid',
      '--name=State eID',
      '--no-client-secret',
    );
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ displayName: 'State eID', hasClientSecret: false });
    const [change] = await auditEvents(t, { type: 'federation.provider_updated' });
    expect(change).toMatchObject({ actor_type: 'SYSTEM', actor_id: 'cli' });
    expect(change.details).toMatchObject({ providerId: 'gov-eid', changed: ['displayName', 'clientSecret'] });

    expect((await cli(t, 'federation:providers:deactivate', '--id=gov-eid')).code).toBe(0);
    const listed = await cli(t, 'federation:providers:list');
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ id: 'gov-eid', active: false });
    const trail = await t.dataSource.query(
      `SELECT details::text AS d FROM audit_logs WHERE event_type LIKE 'federation.%'`,
    );
    expect(JSON.stringify(trail)).not.toContain(SECRET);
    expect(trail).toHaveLength(3);
  });
});
