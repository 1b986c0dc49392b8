// The console's strings: one catalogue per language, chosen from the browser's languages (English when none
// matches). A translation is a copy of `en` with the same keys; `{name}` placeholders are filled by t().

const en = {
  'app.title': 'Support console',
  'app.skip': 'Skip to content',
  'app.loading': 'Loading…',
  'app.signedInAs': 'Signed in as {agent}',
  'app.signedInAsDev': 'Signed in as {agent} (development)',
  'app.signOut': 'Sign out',
  'app.signedOut': 'You are signed out.',
  'app.expired': 'Your sign-in has ended. Sign in again.',

  'signIn.heading': 'Sign in to the support console',
  'signIn.intro': 'Support agents sign in with their workforce account.',
  'signIn.oidc': 'Sign in with your workforce account',
  'signIn.none':
    'No sign-in is configured. Set AGENT_CONSOLE_CLIENT_ID, AGENT_CONSOLE_AUTHORIZATION_URL and AGENT_CONSOLE_TOKEN_URL (docs/agent-console.md).',
  'signIn.failed': 'Sign-in failed: {reason}',
  'signIn.stateMismatch': 'the answer from the identity provider does not belong to this sign-in; start again',
  'signIn.devHeading': 'Development sign-in',
  'signIn.devWarning':
    'Development only: mints a one-hour token for any agent name with the local development key. It does not exist in production.',
  'signIn.devAgent': 'Agent name',
  'signIn.devAgentHint': '2 to 64 letters, digits or . _ @ -',
  'signIn.devSubmit': 'Sign in (development)',

  'search.heading': 'Find a customer',
  'search.cupid': 'Customer id (CUPID)',
  'search.cupidHint': 'For example CUPID-ALICE-0001',
  'search.reason': 'Reason for access',
  'search.reasonHint':
    "5 to 500 characters, e.g. a ticket number. Recorded with your name in the customer's audit trail.",
  'search.submit': 'Open customer',
  'search.cupidInvalid': 'Enter a CUPID: 1 to 64 letters, digits or . _ : @ -',
  'search.reasonInvalid': 'State a reason of 5 to 500 characters.',

  'customer.heading': 'Customer {cupid}',
  'customer.tabs': 'Customer details',
  'tab.sessions': 'Sessions',
  'tab.devices': 'Devices',
  'tab.mfa': 'MFA',
  'tab.audit': 'Audit trail',

  'sessions.caption': 'Sessions, newest first',
  'sessions.none': 'This customer has no sessions.',
  'sessions.status': 'Status',
  'sessions.client': 'Application',
  'sessions.created': 'Signed in',
  'sessions.lastUsed': 'Last used',
  'sessions.ip': 'IP address',
  'sessions.userAgent': 'Browser or app',
  'sessions.amr': 'Methods',
  'sessions.action': 'Action',
  'sessions.revoke': 'Revoke',
  'sessions.revokeLabel': 'Revoke the session signed in {created} from {userAgent}',
  'sessions.revokedBy': 'Revoked by {by}: {reason}',
  'sessions.revokeAll': 'Revoke all sessions',
  'sessions.more': 'Load older sessions',
  'sessions.revokeTitle': 'Revoke this session',
  'sessions.revokeText': "The session's access and refresh tokens stop working at once.",
  'sessions.revokeAllTitle': 'Revoke every session of {cupid}',
  'sessions.revokeAllText':
    'The customer is signed out everywhere; every token of every session stops working at once.',
  'sessions.revoked': 'Session revoked.',
  'sessions.revokedAll': 'Sessions revoked: {count}.',

  'devices.caption': 'Trusted devices (revoked ones too)',
  'devices.none': 'This customer has no trusted devices.',
  'devices.name': 'Name',
  'devices.platform': 'Platform',
  'devices.status': 'Status',
  'devices.created': 'Bound',
  'devices.lastUsed': 'Last used',
  'devices.action': 'Action',
  'devices.revoke': 'Revoke',
  'devices.revokeLabel': 'Revoke the device {name}',
  'devices.revokeTitle': 'Revoke the device {name}',
  'devices.revokeText': 'The device is no longer trusted; the sessions it opened or was bound in end too.',
  'devices.revoked': 'Device revoked.',

  'mfa.heading': 'Second-factor lock',
  'mfa.locked': 'Locked',
  'mfa.lockedYes': 'Yes: every second factor is refused',
  'mfa.lockedNo': 'No',
  'mfa.lockedUntil': 'Locked until',
  'mfa.failures': 'Wrong codes counted',
  'mfa.failuresValue': '{count} of {limit} within {hours} hours',
  'mfa.lastLocked': 'Last locked',
  'mfa.cleared': 'Last cleared',
  'mfa.clearedBy': 'Cleared by',
  'mfa.unlock': 'Lift the lock and clear wrong codes',
  'mfa.unlockTitle': 'Lift the MFA lock of {cupid}',
  'mfa.unlockText': 'Only once you know the customer is the one asking: the count of wrong codes starts again.',
  'mfa.unlocked': 'MFA lock lifted.',

  'audit.filters': 'Filters',
  'audit.types': 'Event types',
  'audit.typesHint': 'Comma-separated, e.g. session.revoked,credentials.rejected',
  'audit.from': 'From',
  'audit.to': 'Until',
  'audit.apply': 'Apply filters',
  'audit.caption': 'Audit events, newest first',
  'audit.none': 'No audit events match.',
  'audit.time': 'Time',
  'audit.type': 'Event',
  'audit.outcome': 'Outcome',
  'audit.actor': 'By',
  'audit.session': 'Session',
  'audit.details': 'Details',
  'audit.more': 'Load older events',

  'reason.label': 'Reason',
  'reason.hint': "5 to 500 characters. Recorded with your name in the customer's audit trail.",
  'reason.invalid': 'State a reason of 5 to 500 characters.',
  'reason.cancel': 'Cancel',
  'reason.confirm': 'Confirm',

  'error.generic': 'The request failed ({status}): {detail}',
  'error.network': 'The service cannot be reached. Try again.',
  'value.none': '—',
} as const;

export type MessageKey = keyof typeof en;
type Catalogue = Record<MessageKey, string>;

const catalogues: Record<string, Catalogue> = { en };

function pick(): Catalogue {
  for (const language of navigator.languages ?? [navigator.language]) {
    const catalogue = catalogues[language] ?? catalogues[language.split('-')[0]];
    if (catalogue) return catalogue;
  }
  return en;
}

const messages = pick();

/** The message for `key`, with `{name}` placeholders filled from `values`. */
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  return messages[key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}
