import type { Page } from 'playwright-core';
import { useTestApp } from '../support/app';
import { useBrowser } from '../support/browser';
import { journeyStep, postJson, startJourney } from '../support/journeys';
import { auditEvents, completeLogin, exchangeCode, pkcePair, registerStandardClients, SPA } from '../support/oauth';
import { useDirectoryAndSmsGateway } from '../support/sms-gateway';

/**
 * Issue 17 item 3: passkeys through a real chromium's WebAuthn (the CDP virtual authenticator: a CTAP2 platform
 * authenticator with resident keys and user verification), a real slapd, real HTTP. The page runs at
 * http://localhost:PORT, the relying party is `localhost`. Registration under /me needs a fresh loa2 session;
 * the passkey signs in without a username or password (loa2), works as a step-up's second factor, and a
 * replayed assertion, a revoked passkey and a counter that went backwards are refused with their audit.
 */
describe('passkeys (WebAuthn): register under /me, passwordless sign-in, second factor', () => {
  const browser = useBrowser();
  const { env } = useDirectoryAndSmsGateway();
  const t = useTestApp(
    {
      env,
      envForPort: (port) => ({ WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: `http://localhost:${port}` }),
    },
    registerStandardClients,
  );
  const ALICE = 'CUPID-ALICE-0001';
  let page: Page;

  beforeAll(async () => {
    page = await browser().newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await page.goto(`${t.baseUrl.replace('127.0.0.1', 'localhost')}/login`);
  });

  /** An access token of alice's session at the level given, signed in just now. */
  async function aliceToken(acr: string): Promise<string> {
    const login = await completeLogin(t, { cupid: ALICE, acr, amr: acr.endsWith('2') ? ['pwd', 'otp'] : ['pwd'] });
    const tokens = (await (await exchangeCode(t, login)).json()) as { access_token: string };
    return tokens.access_token;
  }

  const me = (token: string, path: string, body?: unknown, method = 'POST') =>
    fetch(`${t.baseUrl}/me/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  const create = (publicKey: unknown) =>
    page.evaluate(async (options) => {
      const credential = (await navigator.credentials.create({
        publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(
          options as unknown as PublicKeyCredentialCreationOptionsJSON,
        ),
      })) as PublicKeyCredential;
      return credential.toJSON() as unknown as Record<string, unknown>;
    }, publicKey);

  const get = (publicKey: unknown) =>
    page.evaluate(async (options) => {
      const credential = (await navigator.credentials.get({
        publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(
          options as unknown as PublicKeyCredentialRequestOptionsJSON,
        ),
      })) as PublicKeyCredential;
      return credential.toJSON() as unknown as Record<string, unknown>;
    }, publicKey);

  async function passwordless() {
    const started = await startJourney(t, { method: 'passkey' });
    const nextStep = started.body.nextStep as { type: string; publicKey: Record<string, unknown> };
    expect(nextStep.type).toBe('PASSKEY_LOGIN');
    expect(nextStep.publicKey).not.toHaveProperty('allowCredentials');
    const credential = await get(nextStep.publicKey);
    return { started, credential };
  }

  const loginWith = (journeyId: string, transactionToken: string, credential: Record<string, unknown>) =>
    journeyStep(t, journeyId, 'passkey-login', { transactionToken, credential });

  let passkeyId: string;

  it('spends a registration challenge once when two requests race with it', async () => {
    const token = await aliceToken('urn:ciam:loa:2');
    const { publicKey } = (await (await me(token, 'passkeys/registration-options')).json()) as {
      publicKey: Record<string, unknown>;
    };
    const credential = await create(publicKey);
    const answers = await Promise.all([
      me(token, 'passkeys', { name: 'Race A', credential }),
      me(token, 'passkeys', { name: 'Race B', credential }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 400]);
    const created = (await answers.find((answer) => answer.status === 201)!.json()) as { id: string };
    // Removed again (the next spec registers alice's passkey anew, which replaces this one on the authenticator).
    expect((await me(token, `passkeys/${created.id}`, undefined, 'DELETE')).status).toBe(204);
  });

  it('registers a passkey under /me with a fresh loa2 session, once per challenge', async () => {
    const token = await aliceToken('urn:ciam:loa:2');
    const options = await me(token, 'passkeys/registration-options');
    const { publicKey } = (await options.json()) as { publicKey: Record<string, unknown> };
    expect(publicKey).toMatchObject({
      rp: { id: 'localhost' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    const credential = await create(publicKey);
    const answer = await me(token, 'passkeys', { name: 'Laptop', credential });
    expect(answer.status).toBe(201);
    const body = (await answer.json()) as { id: string; name: string; backupEligible: boolean };
    expect(body).toMatchObject({ name: 'Laptop', backupEligible: false, backupState: false });
    passkeyId = body.id;

    // The same response again: its challenge is spent.
    const replay = await me(token, 'passkeys', { name: 'Laptop', credential });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ type: 'urn:ciam:problem:passkey-registration-invalid' });

    const [row] = (await t.dataSource.query(
      `SELECT cupid, sign_count, backup_eligible, backup_state, transports, revoked_at FROM passkey_credentials WHERE id = $1`,
      [passkeyId],
    )) as Array<Record<string, unknown>>;
    expect(row).toMatchObject({ cupid: ALICE, backup_eligible: false, backup_state: false, revoked_at: null });
    const listed = (await (await me(token, 'passkeys', undefined, 'GET')).json()) as { passkeys: unknown[] };
    expect(listed.passkeys).toEqual([expect.objectContaining({ id: passkeyId, name: 'Laptop' })]);
    const events = await auditEvents(t, { cupid: ALICE });
    expect(events.map((event) => event.event_type)).toEqual(
      expect.arrayContaining(['passkey.registered', 'passkey.registration_rejected']),
    );
    // The public key and the challenge never reach the audit trail.
    expect(JSON.stringify(events)).not.toContain(String(publicKey.challenge));
  });

  it('refuses a factor change without a fresh second factor once the customer has one', async () => {
    const token = await aliceToken('urn:ciam:loa:1');
    const answer = await me(token, 'passkeys/registration-options');
    expect(answer.status).toBe(403);
    expect(await answer.json()).toMatchObject({ type: 'urn:ciam:problem:step-up-required' });
    const removal = await me(token, `passkeys/${passkeyId}`, undefined, 'DELETE');
    expect(removal.status).toBe(403);
  });

  it('signs in with the passkey alone (no username, no password) at loa2, and refuses the assertion replayed', async () => {
    const { started, credential } = await passwordless();
    const answer = await loginWith(started.journeyId, started.transactionToken, credential);
    expect(answer.status).toBe(200);
    const done = (await answer.json()) as { status: string; redirectTo: string };
    expect(done.status).toBe('COMPLETED');
    const [session] = (await t.dataSource.query(
      `SELECT acr, amr FROM sessions WHERE cupid = $1 ORDER BY created_at DESC LIMIT 1`,
      [ALICE],
    )) as Array<{ acr: string; amr: string[] }>;
    expect(session).toEqual({ acr: 'urn:ciam:loa:2', amr: ['hwk', 'user', 'mfa'] });
    const [row] = (await t.dataSource.query(`SELECT sign_count, last_used_at FROM passkey_credentials WHERE id = $1`, [
      passkeyId,
    ])) as Array<{ sign_count: string; last_used_at: Date | null }>;
    expect(Number(row.sign_count)).toBeGreaterThan(0);
    expect(row.last_used_at).not.toBeNull();

    // The same assertion on another journey: it signed another challenge.
    const other = await startJourney(t, { method: 'passkey' });
    const replayed = await loginWith(other.journeyId, other.transactionToken, credential);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({
      type: 'urn:ciam:problem:passkey-invalid',
      attemptsLeft: expect.any(Number),
    });
    const rejected = await auditEvents(t, { contextId: other.journeyId, type: 'passkey.rejected' });
    expect(rejected).toEqual([expect.objectContaining({ details: expect.objectContaining({ reason: 'invalid' }) })]);
    // On its own journey again: the token is spent; the same request gets the answer it had (a retry after a lost
    // reply), never a second sign-in; with another body it is refused.
    const sessionsBefore = await t.dataSource.query(`SELECT id FROM sessions WHERE cupid = $1`, [ALICE]);
    const again = await loginWith(started.journeyId, started.transactionToken, credential);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { redirectTo: string }).redirectTo).toBe(done.redirectTo);
    const altered = await postJson(t, `/journeys/${started.journeyId}/passkey-login`, {
      transactionToken: started.transactionToken,
      credential: { ...credential, authenticatorAttachment: 'cross-platform' },
    });
    expect(altered.status).toBe(400);
    expect(await t.dataSource.query(`SELECT id FROM sessions WHERE cupid = $1`, [ALICE])).toEqual(sessionsBefore);
  });

  it('is offered as a second factor in a step-up, and raises the session', async () => {
    const token = await aliceToken('urn:ciam:loa:1');
    const pkce = pkcePair();
    const started = await me(token, 'step-up', {
      redirectUri: SPA.redirectUri,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
    });
    expect(started.status).toBe(201);
    const choice = (await started.json()) as {
      journeyId: string;
      transactionToken: string;
      nextStep: { options: Array<{ type: string }> };
    };
    expect(choice.nextStep.options.map((option) => option.type)).toContain('PASSKEY');
    // While MFA is locked (too many wrong codes elsewhere), the passkey is refused like every second factor.
    await t.dataSource.query(
      `INSERT INTO mfa_locks (cupid, locked_at, locked_until, failures) VALUES ($1, now(), now() + interval '10 minutes', 10)`,
      [ALICE],
    );
    const locked = await journeyStep(t, choice.journeyId, 'passkey/options', {
      transactionToken: choice.transactionToken,
    });
    expect(locked.status).toBe(429);
    expect(await locked.json()).toMatchObject({ type: 'urn:ciam:problem:mfa-locked' });
    await t.dataSource.query(`DELETE FROM mfa_locks WHERE cupid = $1`, [ALICE]);
    const options = await journeyStep(t, choice.journeyId, 'passkey/options', {
      transactionToken: choice.transactionToken,
    });
    expect(options.status).toBe(200);
    const asserting = (await options.json()) as {
      transactionToken: string;
      nextStep: { type: string; phase: string; publicKey: { allowCredentials: Array<{ id: string }> } };
    };
    expect(asserting.nextStep).toMatchObject({ type: 'PASSKEY', phase: 'ASSERT' });
    expect(asserting.nextStep.publicKey.allowCredentials).toHaveLength(1);
    const credential = await get(asserting.nextStep.publicKey);
    const answer = await journeyStep(t, choice.journeyId, 'passkey', {
      transactionToken: asserting.transactionToken,
      credential,
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ status: 'COMPLETED' });
    const verified = await auditEvents(t, { contextId: choice.journeyId, type: 'passkey.verified' });
    expect(verified).toEqual([expect.objectContaining({ details: expect.objectContaining({ step: 'PASSKEY' }) })]);
  });

  it('refuses a counter that went backwards (a cloned authenticator), with its audit event', async () => {
    await t.dataSource.query(`UPDATE passkey_credentials SET sign_count = 1000000 WHERE id = $1`, [passkeyId]);
    const { started, credential } = await passwordless();
    const answer = await loginWith(started.journeyId, started.transactionToken, credential);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ type: 'urn:ciam:problem:passkey-invalid' });
    const regressed = await auditEvents(t, { contextId: started.journeyId, type: 'passkey.counter_regressed' });
    expect(regressed).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ passkeyId, stored: 1000000 }) }),
    ]);
    const [row] = (await t.dataSource.query(`SELECT sign_count FROM passkey_credentials WHERE id = $1`, [
      passkeyId,
    ])) as Array<{ sign_count: string }>;
    expect(Number(row.sign_count)).toBe(1000000);
  });

  it('refuses a revoked passkey: the customer removes it under /me', async () => {
    const token = await aliceToken('urn:ciam:loa:2');
    const removal = await me(token, `passkeys/${passkeyId}`, undefined, 'DELETE');
    expect(removal.status).toBe(204);
    await t.dataSource.query(`UPDATE passkey_credentials SET sign_count = 0 WHERE id = $1`, [passkeyId]);
    const { started, credential } = await passwordless();
    const answer = await loginWith(started.journeyId, started.transactionToken, credential);
    expect(answer.status).toBe(401);
    const rejected = await auditEvents(t, { contextId: started.journeyId, type: 'passkey.rejected' });
    expect(rejected).toEqual([expect.objectContaining({ details: expect.objectContaining({ reason: 'revoked' }) })]);
    const revoked = await auditEvents(t, { cupid: ALICE, type: 'passkey.revoked' });
    expect(revoked.filter((event) => event.details.passkeyId === passkeyId)).toHaveLength(1);
    const listed = (await (await me(token, 'passkeys', undefined, 'GET')).json()) as { passkeys: unknown[] };
    expect(listed.passkeys).toEqual([]);
  });
});
