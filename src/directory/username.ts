/** The longest username the directories hold (the journey API accepts no longer). */
export const USERNAME_MAX_LENGTH = 256;

/**
 * One spelling per username, so that every form the directory would fold together is the same string
 * here too (one lockout counter per account, issue 12): Unicode NFKC (full-width and mathematical letters
 * become plain ones), then a case fold (upper then lower case, so dotless ı and long ſ fold like OpenLDAP's
 * caseIgnoreMatch folds I and S; the dot that lower-casing İ leaves is dropped), then NFKC again, trimmed.
 * RFC 8265 (PRECIS UsernameCaseMapped) does the same with NFC; NFKC is what LDAP's matching rules use.
 *
 * Null when the result is nothing a directory can hold: empty, too long, or with control, format,
 * private-use, unassigned or lone-surrogate code points. Such a username is refused without asking the
 * directory (the caller still spends the same work on it, so refusing says nothing about accounts).
 */
export function canonicalUsername(raw: string): string | null {
  const folded = raw
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .replace(/i\u0307/g, 'i')
    .normalize('NFKC')
    .trim();
  if (folded.length === 0 || folded.length > USERNAME_MAX_LENGTH) return null;
  if (/[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]/u.test(folded)) return null;
  return folded;
}
