import type { EmailTemplates } from '../email-templates';

/**
 * English wording of every email (and of the SMS fallback of a notice: its `subject`). `{name}` is replaced by
 * the value of that name; `{brand}` is LOGIN_UI_BRAND_NAME. A notice never includes a code, a link to follow or
 * the full address, so a forwarded or intercepted notice gives nothing away.
 */
export const EN: EmailTemplates = {
  verify_code: {
    subject: '{brand}: your verification code',
    text: 'Your code to confirm this email address is {code}.\n\nIt expires in {minutes} minutes. If you did not ask for it, ignore this email.\n',
  },
  login_code: {
    subject: '{brand}: your sign-in code',
    text: 'Your sign-in code is {code}.\n\nIt expires in {minutes} minutes. Never share it: {brand} will never ask you for it.\nIf you are not signing in, change your password.\n',
  },
  'factor.enrolled': {
    subject: '{brand}: a sign-in method was added',
    text: 'A sign-in method ({kind}) was added to your account.\n\nIf this was not you, contact support at once.\n',
  },
  'factor.removed': {
    subject: '{brand}: a sign-in method was removed',
    text: 'A sign-in method ({kind}) was removed from your account.\n\nIf this was not you, contact support at once.\n',
  },
  'factors.reset': {
    subject: '{brand}: your sign-in methods were reset',
    text: 'Support reset the second sign-in methods of your account.\n\nIf you did not ask for this, contact support at once.\n',
  },
  'recovery_code.used': {
    subject: '{brand}: a recovery code was used',
    text: 'One of your recovery codes was used to sign in.\n\nIf this was not you, contact support at once.\n',
  },
  'recovery_codes.regenerated': {
    subject: '{brand}: new recovery codes',
    text: 'New recovery codes were created for your account; the old ones no longer work.\n\nIf this was not you, contact support at once.\n',
  },
  'password.reset': {
    subject: '{brand}: your password was changed',
    text: 'The password of your account was reset, and your other sessions were signed out.\n\nIf this was not you, contact support at once.\n',
  },
  'account.unlocked': {
    subject: '{brand}: your account was unlocked',
    text: 'Support unlocked your account.\n\nIf you did not ask for this, contact support at once.\n',
  },
  'email.verified': {
    subject: '{brand}: email address confirmed',
    text: 'The address {address} is now confirmed for your account.\n\nIf this was not you, contact support at once.\n',
  },
  'api_token.created': {
    subject: '{brand}: an API token was created',
    text: 'An API token ({kind}) was created for your account.\n\nIf this was not you, contact support at once.\n',
  },
};
