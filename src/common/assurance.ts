/**
 * Levels of assurance, in one place (issue 15). The `acr` values are URIs of this provider (OIDC Core §2,
 * "acr"); discovery advertises them in `acr_values_supported`, clients ask for them with `acr_values` or an
 * essential `acr` claim, and a client may require a minimum (oauth_clients.min_acr).
 *
 * - loa1 `urn:ciam:loa:1`: a password.
 * - loa2 `urn:ciam:loa:2`: a password and a second factor (SMS one-time code, push to a bound device) or the
 *   proof of a bound device's key standing in for it.
 * - loa3 `urn:ciam:loa:3`: loa2 where the second factor approved a transaction (dynamic linking, PSD2 RTS
 *   Art. 5): a push that showed and signed the transaction's details, or a signed document (eSign).
 *
 * Lives in src/common, not in the journeys: factors and devices may read it, and they must not import journeys.
 */
export const LOA1 = 'urn:ciam:loa:1';
export const LOA2 = 'urn:ciam:loa:2';
export const LOA3 = 'urn:ciam:loa:3';

export const ACR_VALUES_SUPPORTED = [LOA1, LOA2, LOA3] as const;
export type Acr = (typeof ACR_VALUES_SUPPORTED)[number];

/** Short names accepted wherever an acr is given (CLI, acr_values); the URI is what is stored and issued. */
const SHORT_NAMES: Record<string, Acr> = { loa1: LOA1, loa2: LOA2, loa3: LOA3 };

/** The acr URI for a URI or a short name; undefined for anything else. */
export function normaliseAcr(value: string): Acr | undefined {
  if ((ACR_VALUES_SUPPORTED as readonly string[]).includes(value)) return value as Acr;
  return SHORT_NAMES[value];
}

/** The rank of a level: 0 for none or an unknown value (never trusted as high). */
export function assuranceRank(acr: string | null | undefined): number {
  if (!acr) return 0;
  const known = normaliseAcr(acr);
  return known ? ACR_VALUES_SUPPORTED.indexOf(known) + 1 : 0;
}

/** The level a rank stands for (1..3). */
export function acrOfRank(rank: number): Acr {
  return ACR_VALUES_SUPPORTED[Math.min(Math.max(rank, 1), ACR_VALUES_SUPPORTED.length) - 1];
}

/** What a login proved, as a level: a second factor (or a verified bound device), and a transaction approved by it. */
export function levelFor(proof: { secondFactor: boolean; transactionBound: boolean }): Acr {
  if (proof.secondFactor && proof.transactionBound) return LOA3;
  return proof.secondFactor ? LOA2 : LOA1;
}

/** The highest of the levels given (unknown ones ignored); undefined when none is known. */
export function highestAcr(values: Array<string | null | undefined>): Acr | undefined {
  const rank = Math.max(0, ...values.map(assuranceRank));
  return rank > 0 ? acrOfRank(rank) : undefined;
}
