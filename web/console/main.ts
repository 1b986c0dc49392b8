// The agent console (/console): sign-in through the workforce identity provider (or, in development, the
// development sign-in), then a customer by CUPID with their sessions, devices, MFA lock and audit trail.
import { agentApi } from './agent-api';
import { completeOidcSignIn, currentSession, devSignIn, SignInError, signOut, startOidcSignIn } from './auth';
import type { AgentSession, ConsoleConfig } from './auth';
import { customerView } from './customer';
import { byId, h, show } from './dom';
import { t } from './messages';
import { alertError, announce, clearNotices } from './notices';

const CUPID = /^[A-Za-z0-9._:@-]{1,64}$/;

function header(session: AgentSession | null): void {
  byId('who').textContent = session
    ? t(session.method === 'dev' ? 'app.signedInAsDev' : 'app.signedInAs', {
        // The subject is what the audit trail records: show it when the IdP gave a friendlier name too.
        agent: session.displayName === session.agent ? session.agent : `${session.displayName} (${session.agent})`,
      })
    : '';
  byId('sign-out').hidden = !session;
}

function signInView(config: ConsoleConfig): void {
  header(null);
  const parts: HTMLElement[] = [h('h1', {}, t('signIn.heading'))];
  const { oidc } = config;
  if (oidc) {
    const button = h('button', { type: 'button', id: 'oidc-sign-in' }, t('signIn.oidc'));
    button.addEventListener('click', () => void startOidcSignIn(oidc));
    parts.push(h('p', {}, t('signIn.intro')), button);
  }
  if (config.devSignIn) {
    const input = h('input', {
      id: 'dev-agent',
      name: 'agent',
      required: true,
      autocomplete: 'username',
      pattern: '[A-Za-z0-9][A-Za-z0-9._@\\-]{1,63}',
      'aria-describedby': 'dev-warning dev-agent-hint',
    });
    const form = h(
      'form',
      { class: 'dev', 'aria-labelledby': 'dev-heading' },
      h('h2', { id: 'dev-heading' }, t('signIn.devHeading')),
      h('p', { id: 'dev-warning' }, h('strong', {}, t('signIn.devWarning'))),
      h('label', { for: 'dev-agent' }, t('signIn.devAgent')),
      input,
      h('p', { class: 'hint', id: 'dev-agent-hint' }, t('signIn.devAgentHint')),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('signIn.devSubmit'))),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      devSignIn(input.value).then(
        (session) => searchView(config, session),
        (error: unknown) => alertError(t('signIn.failed', { reason: (error as Error).message })),
      );
    });
    parts.push(form);
  }
  if (!oidc && !config.devSignIn) parts.push(h('p', {}, t('signIn.none')));
  show(...parts);
}

function searchView(config: ConsoleConfig, session: AgentSession): void {
  header(session);
  clearNotices();
  const api = agentApi(session);
  const cupid = h('input', {
    id: 'cupid',
    name: 'cupid',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'cupid-hint',
  });
  const reason = h('input', {
    id: 'access-reason',
    name: 'reason',
    required: true,
    minlength: '5',
    maxlength: '500',
    autocomplete: 'off',
    'aria-describedby': 'access-reason-hint',
  });
  const error = h('p', { class: 'field-error', id: 'search-error', hidden: true });
  const form = h(
    'form',
    { role: 'search', 'aria-labelledby': 'search-heading' },
    h(
      'div',
      { class: 'row' },
      h(
        'div',
        {},
        h('label', { for: 'cupid' }, t('search.cupid')),
        cupid,
        h('p', { class: 'hint', id: 'cupid-hint' }, t('search.cupidHint')),
      ),
      h(
        'div',
        {},
        h('label', { for: 'access-reason' }, t('search.reason')),
        reason,
        h('p', { class: 'hint', id: 'access-reason-hint' }, t('search.reasonHint')),
      ),
    ),
    error,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('search.submit'))),
  );
  const result = h('div', { id: 'customer' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const problems: Array<[HTMLInputElement, string]> = [];
    if (!CUPID.test(cupid.value.trim())) problems.push([cupid, t('search.cupidInvalid')]);
    if (reason.value.trim().length < 5 || reason.value.trim().length > 500)
      problems.push([reason, t('search.reasonInvalid')]);
    for (const input of [cupid, reason]) input.removeAttribute('aria-invalid');
    for (const [input] of problems) input.setAttribute('aria-invalid', 'true');
    error.hidden = problems.length === 0;
    error.textContent = problems.map(([, message]) => message).join(' ');
    if (problems.length > 0) return problems[0][0].focus();
    clearNotices();
    result.replaceChildren(
      customerView({
        api,
        cupid: cupid.value.trim(),
        reason: reason.value.trim(),
        signInAgain: () => {
          signOut();
          signInView(config);
          alertError(t('app.expired'));
        },
      }),
    );
  });
  show(h('h1', { id: 'search-heading' }, t('search.heading')), form, result);
}

async function boot(): Promise<void> {
  document.title = t('app.title');
  byId('brand').textContent = t('app.title');
  byId('sign-out').textContent = t('app.signOut');
  document.querySelector('.skip')!.textContent = t('app.skip');
  const config = (await (await fetch('/console/config.json')).json()) as ConsoleConfig;
  byId('sign-out').addEventListener('click', () => {
    signOut();
    signInView(config);
    announce(t('app.signedOut'));
  });
  let session: AgentSession | null;
  try {
    session = (await completeOidcSignIn(config.oidc)) ?? currentSession();
  } catch (error) {
    signInView(config);
    const reason =
      error instanceof SignInError && error.message === 'state'
        ? t('signIn.stateMismatch')
        : String((error as Error).message);
    return alertError(t('signIn.failed', { reason }));
  }
  if (session) searchView(config, session);
  else signInView(config);
}

void boot();
