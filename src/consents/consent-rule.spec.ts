import { consentWanted, coveredBy } from './consent-rule';
import { describeScopes } from './scope-wording';

describe('the consent rule', () => {
  it('asks on prompt=consent whatever the client, implies it for first-party clients, checks third-party ones', () => {
    expect(consentWanted({ firstParty: true }, true)).toBe('ask');
    expect(consentWanted({ firstParty: false }, true)).toBe('ask');
    expect(consentWanted({ firstParty: true }, false)).toBe('implied');
    expect(consentWanted({ firstParty: false }, false)).toBe('check');
  });

  it('is covered only when every requested scope is live', () => {
    expect(coveredBy(['openid', 'profile'], ['profile', 'openid', 'email'])).toBe(true);
    expect(coveredBy(['openid', 'email'], ['openid', 'profile'])).toBe(false);
    expect(coveredBy(['openid'], [])).toBe(false);
  });
});

describe('the consent wording', () => {
  it("lists each scope's claims narrowed to the client's allowed claims, sub always, and marks what is on record", () => {
    const [openid, profile, email] = describeScopes(['openid', 'profile', 'email'], ['name'], ['openid']);
    expect(openid).toMatchObject({ scope: 'openid', required: true, granted: true, claims: [{ claim: 'sub' }] });
    expect(profile.claims).toEqual([{ claim: 'name', text: { en: 'Your name', de: 'Ihr Name' } }]);
    expect(profile).toMatchObject({ required: false, granted: false });
    expect(email.claims).toEqual([]);
    expect(describeScopes(['profile'], null, [])[0].claims.map((claim) => claim.claim)).toEqual([
      'name',
      'preferred_username',
    ]);
  });

  it('shows an unknown scope by its name in both languages', () => {
    expect(describeScopes(['accounts:read'], null, [])[0]).toMatchObject({
      text: { en: 'accounts:read', de: 'accounts:read' },
      claims: [],
    });
  });
});
