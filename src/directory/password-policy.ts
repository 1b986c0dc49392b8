import { COMMON_PASSWORDS } from './breached-passwords';

/** A rule a new password broke, as the problem's `errors` names it. */
export type PasswordRule = 'min_length' | 'max_length' | 'equals_username' | 'breached';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

const COMMON = new Set(COMMON_PASSWORDS.split(' '));

/** NFKC and lower case: "Ｐａｓｓｗｏｒｄ" and "PASSWORD" are the same guess as "password". */
function fold(value: string): string {
  return value.normalize('NFKC').toLowerCase();
}

/**
 * The password policy of a new password (issue 17, item 6; NIST SP 800-63B §5.1.1.2): at least 12 and at most
 * 128 characters (code points, after NFKC, so a password is measured as people see it), not the username, and
 * not a common password: neither itself nor its letters once leading and trailing digits, spaces and symbols are
 * stripped ("Password1234!" is "password"). No composition rules (NIST advises against them). The rules broken,
 * in order; empty when the password is acceptable. The password is never logged or returned.
 */
export function passwordPolicyViolations(password: string, username: string): PasswordRule[] {
  const folded = fold(password);
  const length = [...folded].length;
  const broken: PasswordRule[] = [];
  if (length < PASSWORD_MIN_LENGTH) broken.push('min_length');
  if (length > PASSWORD_MAX_LENGTH) broken.push('max_length');
  if (username && folded === fold(username)) broken.push('equals_username');
  const core = folded.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');
  if (COMMON.has(folded) || COMMON.has(core) || COMMON.has(folded.replace(/\s+/g, ''))) broken.push('breached');
  return broken;
}
