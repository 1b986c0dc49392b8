import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useTestApp } from '../support/app';
import { cli } from '../support/cli';
import { auditEvents, postForm } from '../support/oauth';

/** Issue 16 item 1, the CLI's side: the same settings, rotation, reactivation and listing as the admin API. */
describe('client administration from the CLI', () => {
  const t = useTestApp();
  const lines = (stdout: string) =>
    stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const token = (secret: string) =>
    postForm(t, '/oauth2/token', { grant_type: 'client_credentials' }, { id: 'cli-partner', secret });

  it('adds with the new settings, updates, rotates, shows, deactivates and reactivates a client', async () => {
    const added = await cli(
      t,
      'clients:add',
      '--id=cli-partner',
      '--name=CLI partner',
      '--type=confidential',
      '--grant=client_credentials',
      '--first-party=false',
      '--subject-type=pairwise',
      '--sector=https://Partner.Example/sectors.json',
      '--refresh-ttl=86400',
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const [registered, { clientSecret }] = lines(added.stdout);
    expect(registered).toMatchObject({ registered: 'cli-partner', firstParty: false, subjectType: 'pairwise' });
    expect((await token(clientSecret as string)).status).toBe(200);

    // A pairwise client keeps its sector: removing it is refused (exit 2), nothing changes.
    const refused = await cli(t, 'clients:update', '--id=cli-partner', '--clear=sectorIdentifier');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pairwise client needs a sector identifier');
    const updated = await cli(
      t,
      'clients:update',
      '--id=cli-partner',
      '--name=Renamed',
      '--dpop=true',
      '--clear=refreshTokenTtlSeconds',
    );
    expect(updated.code).toBe(0);
    expect(lines(updated.stdout)[0]).toMatchObject({
      updated: 'cli-partner',
      name: 'Renamed',
      dpopBoundAccessTokens: true,
      refreshTokenTtlSeconds: null,
      sectorIdentifier: 'partner.example',
    });
    // A DPoP-bound client must send a DPoP proof with every token request (RFC 9449 §5.2): the bearer requests
    // below are the secret's story, so the flag goes off again.
    expect((await cli(t, 'clients:update', '--id=cli-partner', '--dpop=false')).code).toBe(0);

    const rotated = await cli(t, 'clients:rotate-secret', '--id=cli-partner', '--overlap=0');
    expect(rotated.code).toBe(0);
    const [rotation, { clientSecret: newSecret }] = lines(rotated.stdout);
    expect(rotation).toEqual({ rotated: 'cli-partner', previousSecretExpiresAt: null });
    expect((await token(clientSecret as string)).status).toBe(401);
    expect((await token(newSecret as string)).status).toBe(200);

    expect((await cli(t, 'clients:deactivate', '--id=cli-partner')).code).toBe(0);
    expect((await token(newSecret as string)).status).toBe(401);
    const reactivated = await cli(t, 'clients:reactivate', '--id=cli-partner');
    expect(lines(reactivated.stdout)).toEqual([{ reactivated: 'cli-partner', changed: true, codesDeleted: 0 }]);
    const shown = await cli(t, 'clients:show', '--id=cli-partner');
    const [client] = lines(shown.stdout);
    expect(client).toMatchObject({ clientId: 'cli-partner', active: true, deactivatedAt: null, name: 'Renamed' });
    expect(shown.stdout).not.toMatch(/argon2|secretHash|secret_hash/);
    expect(shown.stdout).not.toContain(newSecret as string);
    expect((await token(newSecret as string)).status).toBe(200);

    const unknown = await cli(t, 'clients:show', '--id=nobody');
    expect(unknown.code).toBe(2);

    const trail = (await auditEvents(t)).filter((event) => event.client_id === 'cli-partner');
    expect(trail.map((event) => event.event_type)).toEqual(
      expect.arrayContaining([
        'client.registered',
        'client.updated',
        'client.secret_rotated',
        'client.deactivated',
        'client.reactivated',
      ]),
    );
    for (const event of trail) {
      if (event.event_type.startsWith('client.') && event.outcome === 'SUCCESS')
        expect(event).toMatchObject({ actor_type: 'SYSTEM', actor_id: 'cli' });
      for (const secret of [clientSecret, newSecret]) expect(JSON.stringify(event.details)).not.toContain(secret);
    }
    expect(trail.find((event) => event.event_type === 'client.updated')?.details.fields).toEqual([
      'name',
      'refreshTokenTtlSeconds',
      'dpopBoundAccessTokens',
    ]);
    // Each command is a process of its own (a Nest start): generous on a loaded machine.
  }, 300_000);

  it('a private_key_jwt client gets no secret; switching it to a secret method prints one, once', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwksFile = join(mkdtempSync(join(tmpdir(), 'cli-jwks-')), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'cli-k1' }] }));
    const added = await cli(
      t,
      'clients:add',
      '--id=cli-keys',
      '--name=CLI keys',
      '--type=confidential',
      '--grant=client_credentials',
      '--auth-method=private_key_jwt',
      `--jwks-file=${jwksFile}`,
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    // One line: the registration, no secret.
    expect(lines(added.stdout)).toEqual([expect.objectContaining({ registered: 'cli-keys' })]);
    expect(added.stdout).not.toContain('clientSecret');
    const refused = await cli(t, 'clients:rotate-secret', '--id=cli-keys');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/private_key_jwt.*no secret/);

    const switched = await cli(t, 'clients:update', '--id=cli-keys', '--auth-method=client_secret_post');
    expect(switched.code).toBe(0);
    const [updated, { clientSecret }] = lines(switched.stdout);
    expect(updated).toMatchObject({ updated: 'cli-keys', tokenEndpointAuthMethod: 'client_secret_post' });
    const token = await postForm(t, '/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'cli-keys',
      client_secret: clientSecret as string,
    });
    expect(token.status).toBe(200);
  }, 300_000);
});
