import { randomUUID } from 'node:crypto';
import { useTestApp } from '../support/app';
import type { Slapd } from '../support/slapd';
import { startSlapd } from '../support/slapd';
import { postJson, startJourney, submitPassword } from '../support/journeys';
import { registerStandardClients, SERVICE, SPA } from '../support/oauth';
import { rawRequest, requestHead } from './raw-http';

/**
 * ASVS 5 V1 (encoding and sanitization) and V2.2 (input validation): NUL characters and bytes that are
 * not UTF-8, raw or percent-encoded, in a path, query, header, form or JSON body, are refused with 400 in
 * the endpoint's own error format before anything is stored. PostgreSQL text cannot hold U+0000 (it
 * would be a 500), and invalid UTF-8 would be stored as something else than what was sent.
 */
describe('ASVS V1: hostile bytes are refused at the edge', () => {
  const t = useTestApp({}, registerStandardClients);
  const latin1 = (text: string) => Buffer.from(text, 'latin1');
  const basic = (credentials: Buffer) => `Basic ${credentials.toString('base64')}`;

  async function expectProblem(response: {
    status: number;
    headers: Record<string, string> | Headers;
    json(): unknown;
  }) {
    expect(response.status).toBe(400);
    const type =
      response.headers instanceof Headers ? response.headers.get('content-type') : response.headers['content-type'];
    expect(type).toContain('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 400, type: 'urn:ciam:problem:invalid-encoding' });
  }

  async function expectInvalidRequest(response: {
    status: number;
    headers: Record<string, string> | Headers;
    json(): unknown;
  }) {
    expect(response.status).toBe(400);
    const type =
      response.headers instanceof Headers ? response.headers.get('content-type') : response.headers['content-type'];
    expect(type).toContain('application/json');
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('NUL'),
    });
  }

  describe('JSON APIs answer problem+json', () => {
    it.each([
      ['a NUL escape in the username', '{"username":"alice\\u0000","password":"alice-password"}'],
      ['a lone surrogate in the password', '{"username":"alice","password":"\\ud800"}'],
      ['a NUL escape in a key', '{"username":"alice","password":"alice-password","x\\u0000":1}'],
    ])('password step: %s, and the journey still takes the right password afterwards', async (_name, fields) => {
      const journey = await startJourney(t);
      const body = `{"transactionToken":"${journey.transactionToken}",${fields.slice(1)}`;
      await expectProblem(
        await fetch(`${t.baseUrl}/journeys/${journey.journeyId}/password`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }),
      );
      const ok = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(ok.status).toBe(200);
      expect(
        await t.dataSource.query(
          `SELECT count(*)::int AS n FROM auth_transactions WHERE context_id = $1 AND attempts > 0`,
          [journey.journeyId],
        ),
      ).toEqual([{ n: 0 }]);
    });

    it('password step: raw bytes that are not UTF-8 inside a JSON string', async () => {
      const journey = await startJourney(t);
      const body = Buffer.concat([
        latin1(`{"transactionToken":"${journey.transactionToken}","username":"al`),
        Buffer.from([0xff, 0xfe]),
        latin1('ice","password":"x"}'),
      ]);
      const head = requestHead(
        'POST',
        `/journeys/${journey.journeyId}/password`,
        [['Content-Type', 'application/json']],
        body.length,
      );
      await expectProblem(await rawRequest(t.baseUrl, head, body));
    });

    it('journey start: NUL in the client id; nothing is written', async () => {
      const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`);
      await expectProblem(
        await postJson(t, '/journeys', {
          clientId: `${SPA.clientId}\u0000`,
          redirectUri: SPA.redirectUri,
          codeChallenge: 'x'.repeat(43),
          codeChallengeMethod: 'S256',
          scope: 'openid',
        }),
      );
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`)).toEqual(before);
    });

    it.each([
      ['a NUL 40 levels deep in the free-form device data', 40, 'x\u0000'],
      ['a lone surrogate 2,000 levels deep', 2000, '\udfff'],
    ])('journey start: %s; nothing is written', async (_name, depth, leaf) => {
      let data: unknown = { leaf };
      for (let level = 0; level < depth; level += 1) data = { nested: data };
      const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`);
      await expectProblem(
        await postJson(t, '/journeys', {
          clientId: SPA.clientId,
          redirectUri: SPA.redirectUri,
          codeChallenge: 'a'.repeat(43),
          codeChallengeMethod: 'S256',
          scope: 'openid',
          device: { deviceId: 'd-1', data },
        }),
      );
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`)).toEqual(before);
    });

    it('journey start: clean but 2,000 levels deep device data is a 4xx, never a 500', async () => {
      let data: unknown = { leaf: 'x' };
      for (let level = 0; level < 2000; level += 1) data = { nested: data };
      const response = await postJson(t, '/journeys', {
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        codeChallenge: 'a'.repeat(43),
        codeChallengeMethod: 'S256',
        scope: 'openid',
        device: { deviceId: 'd-1', data },
      });
      expect(response.status).toBeLessThan(500);
    });

    it.each([
      ['percent-encoded NUL in a path parameter', '/journeys/%00/password'],
      ['percent-encoded invalid UTF-8 in a path parameter', '/journeys/%C3%28/password'],
      ['an overlong UTF-8 encoding of "/"', '/journeys/%C0%AF/password'],
    ])('journeys: %s', async (_name, path) => {
      await expectProblem(
        await postJson(t, path, { transactionToken: 'x'.repeat(43), username: 'alice', password: 'p' }),
      );
    });

    it('journey start: raw bytes that are not UTF-8 in the User-Agent header; nothing is written', async () => {
      const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`);
      const body = Buffer.from(
        JSON.stringify({
          clientId: SPA.clientId,
          redirectUri: SPA.redirectUri,
          codeChallenge: 'a'.repeat(43),
          codeChallengeMethod: 'S256',
          scope: 'openid',
        }),
      );
      const head = requestHead(
        'POST',
        '/journeys',
        [
          ['Content-Type', 'application/json'],
          ['User-Agent', Buffer.from([0x4d, 0xff, 0xfe, 0x4d])],
        ],
        body.length,
      );
      await expectProblem(await rawRequest(t.baseUrl, head, body));
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM auth_contexts`)).toEqual(before);
    });

    it.each([
      ['agent API: NUL in the customer id', '/agent/customers/CUPID%00-1/sessions?reason=customer%20called'],
      ['agent API: invalid UTF-8 in the reason', '/agent/customers/CUPID-1/sessions?reason=customer%FFcalled'],
      ['agent API: NUL in the audit cursor', '/agent/customers/CUPID-1/audit?reason=customer%20called&cursor=%00%00'],
      ['self-service: NUL in a session id', '/me/sessions/%00'],
    ])('%s', async (_name, path) => {
      await expectProblem(
        await fetch(`${t.baseUrl}${path}`, {
          method: path.startsWith('/me') ? 'DELETE' : 'GET',
          headers: { authorization: 'Bearer x' },
        }),
      );
    });

    it('push answer: a NUL escape in the decision', async () => {
      await expectProblem(
        await fetch(`${t.baseUrl}/devices/push-challenges/${randomUUID()}/response`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"decision":"approve\\u0000","number":42,"signature":"x"}',
        }),
      );
    });
  });

  describe('OAuth endpoints answer RFC 6749 invalid_request', () => {
    const form = (body: Buffer | string, headers: Array<[string, string]> = []) => ({
      body: Buffer.isBuffer(body) ? body : latin1(body),
      headers: [['Content-Type', 'application/x-www-form-urlencoded'] as [string, string], ...headers],
    });

    it.each([
      [
        'token: a percent-encoded NUL in client_id',
        '/oauth2/token',
        form(`grant_type=client_credentials&client_id=${SERVICE.clientId}%00`),
      ],
      [
        'token: a raw NUL in client_id',
        '/oauth2/token',
        form(Buffer.concat([latin1('grant_type=client_credentials&client_id=a'), Buffer.from([0]), latin1('b')])),
      ],
      [
        'token: percent-encoded invalid UTF-8 in the code',
        '/oauth2/token',
        form(`grant_type=authorization_code&client_id=${SPA.clientId}&code=%FF%FE&code_verifier=${'v'.repeat(43)}`),
      ],
      [
        'token: raw invalid UTF-8 in the refresh token',
        '/oauth2/token',
        form(
          Buffer.concat([
            latin1(`grant_type=refresh_token&client_id=${SPA.clientId}&refresh_token=`),
            Buffer.from([0xc3, 0x28]),
          ]),
        ),
      ],
      [
        'token: a NUL in Basic credentials (form-encoded)',
        '/oauth2/token',
        form('grant_type=client_credentials', [['Authorization', basic(latin1(`${SERVICE.clientId}%00:x`))]]),
      ],
      [
        'token: a raw NUL in Basic credentials',
        '/oauth2/token',
        form('grant_type=client_credentials', [
          ['Authorization', basic(Buffer.concat([latin1(SERVICE.clientId), Buffer.from([0]), latin1(':x')]))],
        ]),
      ],
      [
        'introspect: a NUL in the token',
        '/oauth2/introspect',
        form('token=abc%00', [['Authorization', basic(latin1(`${SERVICE.clientId}:${SERVICE.secret}`))]]),
      ],
      [
        'revoke: an overlong UTF-8 encoding in the token',
        '/oauth2/revoke',
        form(`token=%C0%AF&client_id=${SPA.clientId}`),
      ],
      ['end_session: a NUL in the ID token hint', '/oauth2/end_session', form('id_token_hint=a%00b')],
    ])('%s', async (_name, path, request) => {
      await expectInvalidRequest(
        await rawRequest(t.baseUrl, requestHead('POST', path, request.headers, request.body.length), request.body),
      );
    });

    it.each([
      [
        'authorize: a NUL in client_id',
        `/oauth2/authorize?client_id=${SPA.clientId}%00&redirect_uri=${encodeURIComponent(SPA.redirectUri)}`,
      ],
      [
        'authorize: invalid UTF-8 in state',
        `/oauth2/authorize?client_id=${SPA.clientId}&redirect_uri=${encodeURIComponent(SPA.redirectUri)}&state=%E2%82`,
      ],
      ['end_session: a NUL in the hint', '/oauth2/end_session?id_token_hint=%00'],
    ])('%s (shown, never redirected)', async (_name, path) => {
      const response = await fetch(`${t.baseUrl}${path}`, { redirect: 'manual' });
      expect(response.headers.get('location')).toBeNull();
      await expectInvalidRequest(response);
    });
  });

  describe("raw bytes that Node's HTTP parser refuses still get the endpoint's format", () => {
    it.each([
      ['a raw NUL in the path', Buffer.concat([latin1('/oauth2/authorize?client_id=a'), Buffer.from([0])])],
      [
        'a raw byte that is not ASCII in the path',
        Buffer.concat([latin1('/oauth2/authorize?state='), Buffer.from([0xff])]),
      ],
    ])('OAuth: %s', async (_name, path) => {
      await expectInvalidRequest(await rawRequest(t.baseUrl, requestHead('GET', path)));
    });

    it.each([
      ['a raw NUL in the path', requestHead('GET', Buffer.concat([latin1('/me/sessions/a'), Buffer.from([0])]))],
      ['a raw NUL in a header', requestHead('GET', '/me/sessions', [['X-Anything', Buffer.from([0x61, 0x00, 0x62])]])],
    ])('REST: %s', async (_name, head) => {
      const response = await rawRequest(t.baseUrl, head);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.json()).toMatchObject({ status: 400, title: 'Bad Request' });
    });
  });
});

/**
 * The same classes against a real slapd (USER_DIRECTORY=ldap): hostile bytes never reach the directory,
 * and LDAP filter and DN metacharacters in a username are plain text, answered exactly like a username
 * that does not exist (ASVS 5 V1.2.6, LDAP injection).
 */
describe('ASVS V1: hostile input against the LDAP directory', () => {
  let slapd: Slapd | undefined;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    slapd = await startSlapd();
    Object.assign(env, slapd.env, { USER_DIRECTORY: 'ldap' });
  });
  afterAll(() => slapd?.stop());
  const t = useTestApp({ env }, registerStandardClients);

  async function answerFor(username: string) {
    const journey = await startJourney(t);
    const response = await submitPassword(t, journey.journeyId, journey.transactionToken, username, 'alice-password');
    const body = await response.json();
    return { status: response.status, type: body.type as string, code: body.authorizationCode as string | undefined };
  }

  it('a NUL in the username or password is a 400 and the journey still signs alice in', async () => {
    const journey = await startJourney(t);
    for (const fields of [
      '"username":"alice\\u0000","password":"alice-password"',
      '"username":"alice","password":"alice-password\\u0000"',
    ]) {
      const body = `{"transactionToken":"${journey.transactionToken}",${fields}}`;
      const response = await fetch(`${t.baseUrl}/journeys/${journey.journeyId}/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ type: 'urn:ciam:problem:invalid-encoding' });
    }
    const ok = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
    expect(ok.status).toBe(200);
  });

  it.each([
    '*',
    'alice)(uid=*',
    '*)(|(uid=*',
    'alice*',
    'uid=alice,ou=people,dc=example,dc=test',
    'alice\\2a',
    '(alice)',
  ])('the username %s signs nobody in and answers like an unknown username', async (username) => {
    const unknown = await answerFor(`nobody-${randomUUID().slice(0, 8)}`);
    const injected = await answerFor(username);
    expect(injected.code).toBeUndefined();
    expect({ status: injected.status, type: injected.type }).toEqual({ status: unknown.status, type: unknown.type });
    expect(injected.status).toBeLessThan(500);
  });
});
