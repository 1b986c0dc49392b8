import { useTestApp } from '../support/app';
import { startJourney, submitPassword } from '../support/journeys';
import { postForm, registerStandardClients, SPA } from '../support/oauth';
import { recordStatements, StatementLog } from '../support/statement-log';

describe('round trips of a password login', () => {
  const t = useTestApp({}, registerStandardClients);
  let log: StatementLog;
  afterEach(() => log?.stop());

  it('prints', async () => {
    // warm-up login
    for (let i = 0; i < 2; i += 1) {
      log = recordStatements(t.database.name);
      const journey = await startJourney(t);
      const started = log.statements();
      log.clear();
      const response = await submitPassword(t, journey.journeyId, journey.transactionToken, 'alice', 'alice-password');
      expect(response.status).toBe(200);
      const done = await response.json();
      const password = log.statements();
      log.clear();
      const tokens = await postForm(t, '/oauth2/token', {
        grant_type: 'authorization_code',
        code: done.authorizationCode,
        redirect_uri: SPA.redirectUri,
        code_verifier: journey.verifier,
        client_id: SPA.clientId,
      });
      expect(tokens.status).toBe(200);
      const exchange = log.statements();
      log.stop();
      console.log(
        [started, password, exchange].map((s) => `${s.length}\n  ${s.map((x) => x.slice(0, 160)).join('\n  ')}`).join('\n----\n'),
      );
    }
  });
});
