/**
 * The consent screen's plain words (issue 16 item 2), in the languages the hosted login page speaks. A scope
 * releases the claims userinfo and the ID token give for it (OIDC Core §5.4, src/oauth/userinfo.controller.ts);
 * a client's allowed_claims narrows what is shown to what it can actually receive. A scope without an entry
 * here is shown by its name: a client can be registered only for the scopes this service knows.
 */
export type ConsentLanguage = 'en' | 'de';
export type Wording = Record<ConsentLanguage, string>;

export const SCOPE_WORDING: Record<string, Wording> = {
  openid: { en: 'Sign you in with your bank login', de: 'Sie mit Ihrem Bank-Login anmelden' },
  profile: { en: 'See your name and username', de: 'Ihren Namen und Benutzernamen sehen' },
  email: { en: 'See your email address', de: 'Ihre E-Mail-Adresse sehen' },
  phone: { en: 'See your phone number', de: 'Ihre Telefonnummer sehen' },
  offline_access: {
    en: 'Stay connected when you are not using it',
    de: 'Verbunden bleiben, auch wenn Sie es gerade nicht nutzen',
  },
};

/** The claims each scope releases (OIDC Core §5.4): what userinfo answers for it. */
export const SCOPE_CLAIMS: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email'],
  phone: ['phone_number'],
  offline_access: [],
};

export const CLAIM_WORDING: Record<string, Wording> = {
  sub: { en: 'An identifier for you', de: 'Eine Kennung für Sie' },
  name: { en: 'Your name', de: 'Ihr Name' },
  preferred_username: { en: 'Your username', de: 'Ihr Benutzername' },
  email: { en: 'Your email address', de: 'Ihre E-Mail-Adresse' },
  phone_number: { en: 'Your phone number', de: 'Ihre Telefonnummer' },
};

export interface ScopeDescription {
  scope: string;
  /** openid cannot be left out: without it there is no sign-in. */
  required: boolean;
  /** Already allowed and not withdrawn: the page shows it checked. */
  granted: boolean;
  text: Wording;
  claims: Array<{ claim: string; text: Wording }>;
}

/**
 * Each requested scope in plain words with the claims it releases; `allowedClaims` (the client's, null: all)
 * drops the claims the client can never receive. `sub` stays: every token names its subject.
 */
export function describeScopes(
  requested: readonly string[],
  allowedClaims: readonly string[] | null,
  liveScopes: readonly string[],
): ScopeDescription[] {
  const live = new Set(liveScopes);
  return requested.map((scope) => ({
    scope,
    required: scope === 'openid',
    granted: live.has(scope),
    text: SCOPE_WORDING[scope] ?? { en: scope, de: scope },
    claims: (SCOPE_CLAIMS[scope] ?? [])
      .filter((claim) => claim === 'sub' || allowedClaims === null || allowedClaims.includes(claim))
      .map((claim) => ({ claim, text: CLAIM_WORDING[claim] ?? { en: claim, de: claim } })),
  }));
}
