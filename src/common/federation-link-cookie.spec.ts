import { readFederationLinkCookies, setFederationLinkCookie } from './federation-link-cookie';

const JOURNEY = '6f1c2a8e-3b9d-4e57-a1c0-2d4b8e9f7a61';
const VALUE = 'A'.repeat(43);

describe('federation link cookie', () => {
  it('is __Host- (Secure, Path=/) under https, so a sibling host cannot toss one in', () => {
    const set = setFederationLinkCookie('https://id.bank.example', JOURNEY, VALUE, 1800);
    expect(set).toBe(
      `__Host-ciam_fedlink_${JOURNEY}=${VALUE}; Path=/; Max-Age=1800; HttpOnly; SameSite=Strict; Secure`,
    );
    const read = (header: string) => readFederationLinkCookies('https://id.bank.example', header).get(JOURNEY);
    expect(read(`__Host-ciam_fedlink_${JOURNEY}=${VALUE}`)).toBe(VALUE);
    // A plain-named cookie may come from a sibling host (Domain=.bank.example): never taken under https.
    expect(read(`ciam_fedlink_${JOURNEY}=${VALUE}`)).toBeUndefined();
  });

  it('is scoped to the journey under plain http, and only values of the issued shape are read', () => {
    expect(setFederationLinkCookie('http://127.0.0.1:3000', JOURNEY, VALUE, 60)).toBe(
      `ciam_fedlink_${JOURNEY}=${VALUE}; Path=/journeys/${JOURNEY}; Max-Age=60; HttpOnly; SameSite=Strict`,
    );
    const cookies = readFederationLinkCookies(
      'http://127.0.0.1:3000',
      `a=b; ciam_fedlink_${JOURNEY}=${VALUE}; ciam_fedlink_other=${VALUE}; ciam_fedlink_${JOURNEY.replace('6', '7')}=short`,
    );
    expect([...cookies]).toEqual([[JOURNEY, VALUE]]);
  });
});
