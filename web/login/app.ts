// The journey's screens, one per step and phase. Each screen replaces the last inside <main>, moves focus to
// its first field (or its heading), and reports progress through the polite status region.
import { brand } from './branding';
import { createDeviceKey, loadDeviceKey, saveDeviceKey, signJws } from './device-key';
import { field, h, showFieldError } from './dom';
import { locale, t } from './i18n';
import {
  Answer,
  FactorOption,
  journeyApi,
  JourneyView,
  localProblem,
  NextStep,
  Problem,
  ResetStart,
  Step,
} from './journey-api';
import { createCredential, getAssertion, passkeyCreationSupported, passkeysSupported } from './passkey';

interface Flow {
  journeyId: string;
  token: string;
  /** The second factors the current token may do (from the last choice offered). */
  factors: FactorOption[];
}

let flow: Flow;
/** Bumped on every screen change: a push long-poll or a timer of an older screen then stops. */
let screen = 0;
const timers = new Set<number>();

/** The second factors this page can start from a choice (and a step-up may open the page at: its `factors`). */
const CHOOSABLE = new Set<string>(['SMS_OTP', 'EMAIL_OTP', 'PUSH', 'PASSKEY', 'TOTP', 'RECOVERY_CODE']);
const STEP_UP_FACTORS = CHOOSABLE;

/** Problems after which this journey cannot go on: the customer returns to the application. */
const FATAL = new Set([
  'journey-failed',
  'access-denied',
  'push-denied',
  'push-rejected',
  'esign-declined',
  'consent-denied',
  'device-bind-needs-second-factor',
  'transaction-invalid',
  'invalid-journey-request',
  'not-found',
]);

function main(): HTMLElement {
  return document.getElementById('app')!;
}

function status(message: string): void {
  const region = document.getElementById('status');
  if (region) region.textContent = message;
}

/** Shows a screen: clears the last one's timers, then focuses the first field, or else the heading. */
function show(...content: Node[]): number {
  screen += 1;
  for (const timer of timers) clearInterval(timer);
  timers.clear();
  status('');
  main().replaceChildren(...content);
  const target =
    main().querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), textarea') ??
    main().querySelector<HTMLElement>('h1');
  target?.focus();
  return screen;
}

function heading(key: string, values: Record<string, string | number> = {}): HTMLHeadingElement {
  // tabindex -1: focusable by script (the screen change), not a tab stop.
  return h('h1', { tabindex: -1 }, t(key, values));
}

function alertBox(): HTMLDivElement {
  return h('div', { class: 'alert', role: 'alert', hidden: true });
}

function setAlert(box: HTMLElement, message: string | null): void {
  box.textContent = message ?? '';
  box.hidden = !message;
}

function busy(form: HTMLFormElement, on: boolean): void {
  for (const control of form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input'))
    control.disabled = on;
  form.setAttribute('aria-busy', String(on));
}

/** The message for a problem, with the wait when the service sent Retry-After. */
export function problemMessage(problem: Problem): string {
  const known = t(`problem.${problem.code}`);
  let message = known === `problem.${problem.code}` ? t('problem.generic') : known;
  if (problem.retryAfter) {
    message +=
      ' ' +
      (problem.retryAfter >= 120
        ? t('problem.retryAfterMinutes', { minutes: Math.ceil(problem.retryAfter / 60) })
        : t('problem.retryAfterSeconds', { seconds: problem.retryAfter }));
  }
  // A lockout's wait matters, not the journey's attempts (they resume after it).
  if (problem.attemptsLeft !== null && !problem.retryAfter)
    message += ' ' + t('problem.attemptsLeft', { count: problem.attemptsLeft });
  return message;
}

/** Keeps the token the service handed back with a problem (a wrong password spends the old one). */
function absorb(problem: Problem): void {
  if (problem.transactionToken) flow.token = problem.transactionToken;
}

/** The end of the road for this journey: say why, and offer the way back to the application. */
function showFatal(problem: Problem): void {
  show(
    heading('fatal.heading'),
    h('p', { class: 'alert', role: 'alert' }, problemMessage(problem)),
    h('p', {}, t('fatal.restart')),
    h('button', { type: 'button', class: 'secondary', onclick: () => history.back() }, t('fatal.back')),
  );
  status(t('fatal.heading'));
}

export function showNoJourney(): void {
  show(heading('nojourney.heading'), h('p', {}, t('nojourney.text')));
}

/** What the redirect's fragment says besides the journey: the OIDC login_hint, and a step-up's second factors. */
export interface StartHints {
  loginHint?: string | null;
  factors?: string[];
  /** /oauth2/authorize's idp_hint: the upstream provider to go to at once. */
  idpHint?: string | null;
  /** The sign-in's client, redirect and PKCE challenge: what a forgot-password journey starts with. */
  reset?: { clientId?: string | null; redirectUri?: string | null; codeChallenge?: string | null };
  /**
   * A single sign-on that lacks only consent opens at CONSENT: the application's name and the scopes asked come
   * in the fragment (the journey's own nextStep, with the service's wording, reaches only a page that answered a step).
   */
  consent?: { clientName?: string | null; scopes?: string[] };
}

/** What "Forgot your password?" starts with (null: the redirect did not say, no link), and the sign-in to return to. */
let resetStart: ResetStart | null = null;
let signIn: { journeyId: string; token: string } | null = null;

export function startFlow(journeyId: string, token: string, step: string, hints: StartHints = {}): void {
  flow = { journeyId, token, factors: [] };
  loginHint = hints.loginHint ?? '';
  const reset = hints.reset;
  resetStart =
    reset?.clientId && reset.redirectUri && reset.codeChallenge
      ? { clientId: reset.clientId, redirectUri: reset.redirectUri, codeChallenge: reset.codeChallenge }
      : null;
  if (step === 'PASSWORD') return route({ type: 'PASSWORD' });
  // /oauth2/authorize?idp_hint=...: straight on to that provider (the FEDERATED step is the journey's first).
  if (step === 'FEDERATED' && hints.idpHint) return void goToProvider(hints.idpHint, hints.idpHint, alertBox());
  if (step === 'CONSENT') {
    const scopes = hints.consent?.scopes ?? [];
    if (scopes.length === 0) return showFatal(localProblem('generic'));
    const name = hints.consent?.clientName || t('consent.anApplication');
    return consentScreen({
      type: 'CONSENT',
      client: { clientId: '', name },
      scopes: scopes.map((scope) => ({
        scope,
        required: scope === 'openid',
        granted: false,
        text: { en: scopeWords(scope), de: scopeWords(scope) },
        claims: [],
      })),
    });
  }
  // A step-up (issue 15): the customer is signed in and the page opens at the second factors the redirect names
  // (the password is never asked again); any other first step has nothing to show.
  const factors = (hints.factors ?? []).filter((type): type is FactorOption['type'] => STEP_UP_FACTORS.has(type));
  if (!STEP_UP_FACTORS.has(step) || factors.length === 0) return showFatal(localProblem('generic'));
  flow.factors = factors.map((type) => ({ type })) as FactorOption[];
  return factors.length > 1 ? chooseFactorScreen() : factorStartScreen(flow.factors[0]);
}

/** OIDC login_hint: the username the relying party expects, prefilled (the customer may change it). */
let loginHint = '';

/** After each call: the next screen, or the problem on the current one (`onProblem`), or the fatal screen. */
function handle(answer: Answer, onProblem: (problem: Problem) => void): void {
  if (answer.ok) return advance(answer.view);
  absorb(answer.problem);
  if (FATAL.has(answer.problem.code) || answer.problem.status === 404) return showFatal(answer.problem);
  onProblem(answer.problem);
}

function advance(view: JourneyView): void {
  // A sign-in completes with a redirect; a password reset with passwordReset and none (then: sign in anew).
  if (view.status === 'COMPLETED') {
    if (view.redirectTo) return complete(view.redirectTo);
    return view.passwordReset ? resetDoneScreen() : showFatal(localProblem('generic'));
  }
  flow.token = view.transactionToken;
  route(view.nextStep);
}

function route(next: NextStep): void {
  switch (next.type) {
    case 'PASSWORD':
      return void passwordScreen();
    case 'RESET_USERNAME':
      return resetUsernameScreen();
    case 'SET_PASSWORD':
      return setPasswordScreen();
    case 'PASSKEY_LOGIN':
      return passkeyScreen(next.publicKey, 'login');
    case 'SMS_OTP':
    case 'EMAIL_OTP':
    case 'PUSH':
    case 'PASSKEY':
    case 'TOTP':
    case 'RECOVERY_CODE':
      if (next.phase === 'ASSERT') return passkeyScreen(next.publicKey, 'factor');
      if (next.phase === 'VERIFY') return codeVerifyScreen(next);
      if (next.phase === 'WAITING') return pushWaitingScreen(next);
      // The factors this page can do: an option it cannot start is never shown (as a button that would do another).
      flow.factors = next.options.filter((option) => CHOOSABLE.has(option.type));
      if (flow.factors.length === 0) return showFatal(localProblem('generic'));
      return flow.factors.length > 1 ? chooseFactorScreen() : factorStartScreen(flow.factors[0]);
    case 'ESIGN':
      return esignScreen(next);
    case 'CONSENT':
      return consentScreen(next);
    case 'DEVICE_BIND':
      return deviceBindScreen(next);
    case 'DEVICE_PROOF':
      return void deviceProofScreen(next);
    case 'PASSKEY_ENROL':
      return passkeyOfferScreen(next.phase === 'CREATE' ? next.publicKey : undefined);
    case 'FEDERATED':
      if (next.phase === 'REDIRECT') return leaveForProvider(next.providerId, next.authorizationUrl);
      return providersScreen(next.providers);
    default:
      return showFatal(localProblem('generic'));
  }
}

function complete(redirectTo: string, headingKey = 'done.heading'): void {
  show(heading(headingKey), h('p', {}, t('done.text')));
  status(t(headingKey));
  window.location.assign(redirectTo);
}

// ---- password ----------------------------------------------------------------------------------------

async function passwordScreen(): Promise<void> {
  const deviceKey = await loadDeviceKey();
  const username = field('username', t('password.username'), {
    type: 'text',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  if (loginHint) username.input.value = loginHint;
  const password = field('password', t('password.password'), {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const remember = h('input', { type: 'checkbox', id: 'remember', name: 'remember' });
  const problemBox = alertBox();
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    username.wrapper,
    password.wrapper,
    deviceKey?.bound
      ? h('p', { class: 'hint' }, t('password.knownDevice'))
      : h('div', { class: 'checkbox' }, remember, h('label', { for: 'remember' }, t('password.remember'))),
    h('button', { type: 'submit' }, t('password.submit')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      showFieldError(
        username.input,
        username.error,
        username.input.value.trim() ? null : t('password.usernameRequired'),
      );
      showFieldError(password.input, password.error, password.input.value ? null : t('password.passwordRequired'));
      const invalid = form.querySelector<HTMLInputElement>('[aria-invalid=true]');
      if (invalid) return invalid.focus();
      busy(form, true);
      status(t('status.checking'));
      const device = deviceKey?.bound
        ? { keyThumbprint: deviceKey.thumbprint }
        : remember.checked
          ? { bind: true }
          : undefined;
      const answer = await journeyApi.password(
        flow.journeyId,
        flow.token,
        username.input.value.trim(),
        password.input.value,
        device,
      );
      busy(form, false);
      handle(answer, (problem) => {
        setAlert(problemBox, problemMessage(problem));
        status('');
        password.input.value = '';
        password.input.focus();
      });
    })();
  });
  // Passwordless: the same token switches to a passkey (no username needed: the passkey names the account).
  const passkey = passkeysSupported()
    ? h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () =>
            void (async () => {
              busy(form, true);
              status(t('status.checking'));
              const answer = await journeyApi.passkeyLoginOptions(flow.journeyId, flow.token);
              busy(form, false);
              handle(answer, (problem) => {
                setAlert(problemBox, problemMessage(problem));
                status('');
              });
            })(),
        },
        t('passkey.signIn'),
      )
    : null;
  // Forgot password: a journey of its own; the sign-in's token is kept to come back to.
  const forgot = resetStart
    ? h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: () =>
            void (async () => {
              busy(form, true);
              status(t('status.checking'));
              const answer = await journeyApi.startReset(resetStart!);
              busy(form, false);
              if (answer.ok && answer.view.status === 'PENDING') {
                signIn = { journeyId: flow.journeyId, token: flow.token };
                flow = { journeyId: answer.view.journeyId, token: answer.view.transactionToken, factors: [] };
                return advance(answer.view);
              }
              setAlert(problemBox, problemMessage(answer.ok ? localProblem('generic') : answer.problem));
              status('');
            })(),
        },
        t('reset.forgot'),
      )
    : null;
  // Upstream identity providers (issue 21): the same token switches to the FEDERATED step.
  const providers = (await journeyApi.federationProviders()).map((provider) =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        onclick: () => void goToProvider(provider.id, provider.displayName, problemBox),
      },
      t('federation.signIn', { provider: provider.displayName }),
    ),
  );
  show(
    heading('password.heading', { brand: brand().brandName }),
    form,
    ...(forgot ? [forgot] : []),
    ...(passkey ? [passkey] : []),
    ...providers,
  );
}

// ---- upstream identity providers -------------------------------------------------------------------------

/** Where the page keeps the journey while the browser is at the provider (this tab only; removed on return). */
const FEDERATION_KEY = 'ciam.federation';

function providersScreen(providers: Array<{ id: string; displayName: string }>): void {
  const problemBox = alertBox();
  const buttons = providers.map((provider) =>
    h(
      'button',
      { type: 'button', onclick: () => void goToProvider(provider.id, provider.displayName, problemBox) },
      t('federation.signIn', { provider: provider.displayName }),
    ),
  );
  show(heading('federation.heading'), h('p', {}, t('federation.text')), problemBox, ...buttons);
}

async function goToProvider(providerId: string, name: string, problemBox: HTMLElement): Promise<void> {
  status(t('federation.redirecting', { provider: name }));
  const answer = await journeyApi.federatedStart(flow.journeyId, flow.token, providerId);
  handle(answer, (problem) => {
    setAlert(problemBox, problemMessage(problem));
    status('');
  });
}

/** The provider's URL: the journey and its token wait in this tab's storage until the provider sends it back. */
function leaveForProvider(providerId: string, authorizationUrl: string): void {
  sessionStorage.setItem(FEDERATION_KEY, JSON.stringify({ journeyId: flow.journeyId, token: flow.token }));
  show(heading('federation.heading'), h('p', {}, t('federation.redirecting', { provider: providerId })));
  window.location.assign(authorizationUrl);
}

/** Back from the provider (/federation/callback put its answer in the fragment): the journey goes on. */
export async function resumeFederation(response: string): Promise<void> {
  const kept = sessionStorage.getItem(FEDERATION_KEY);
  sessionStorage.removeItem(FEDERATION_KEY);
  const journey = kept ? (JSON.parse(kept) as { journeyId?: string; token?: string }) : null;
  if (!journey?.journeyId || !journey.token) {
    show(heading('nojourney.heading'), h('p', {}, t('federation.lost')));
    return;
  }
  flow = { journeyId: journey.journeyId, token: journey.token, factors: [] };
  show(heading('federation.heading'), h('p', {}, t('federation.returning')));
  status(t('federation.returning'));
  handle(await journeyApi.federatedCallback(flow.journeyId, flow.token, response), showFatal);
}

// ---- forgot password -----------------------------------------------------------------------------------

/**
 * A form of one field with its text and submit button: an empty value is refused on the spot (`requiredKey`), a
 * value goes to `submit` with the form busy, and a problem in its answer is shown by `onProblem` (the alert box by
 * default; return true when it was shown on the field instead).
 */
function oneFieldForm(options: {
  input: ReturnType<typeof field>;
  textKey: string;
  buttonKey: string;
  requiredKey: string;
  value: (input: HTMLInputElement) => string;
  submit: (value: string) => Promise<Answer>;
  onProblem?: (problem: Problem) => boolean;
}): HTMLFormElement {
  const { input } = options;
  const problemBox = alertBox();
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    h('p', {}, t(options.textKey)),
    input.wrapper,
    h('button', { type: 'submit' }, t(options.buttonKey)),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const value = options.value(input.input);
      showFieldError(input.input, input.error, value ? null : t(options.requiredKey));
      if (!value) return input.input.focus();
      busy(form, true);
      status(t('status.checking'));
      const answer = await options.submit(value);
      busy(form, false);
      handle(answer, (problem) => {
        status('');
        if (options.onProblem?.(problem)) return;
        setAlert(problemBox, problemMessage(problem));
      });
    })();
  });
  return form;
}

function resetUsernameScreen(): void {
  const form = oneFieldForm({
    input: field('reset-username', t('password.username'), {
      type: 'text',
      autocomplete: 'username',
      required: true,
      autocapitalize: 'none',
      spellcheck: 'false',
    }),
    textKey: 'reset.usernameText',
    buttonKey: 'reset.continue',
    requiredKey: 'password.usernameRequired',
    value: (input) => input.value.trim(),
    submit: (username) => journeyApi.resetUsername(flow.journeyId, flow.token, username),
  });
  show(heading('reset.heading'), form, backToSignInButton());
}

function setPasswordScreen(): void {
  const password = field('new-password', t('reset.newPassword'), {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
  });
  const form = oneFieldForm({
    input: password,
    textKey: 'reset.newPasswordText',
    buttonKey: 'reset.save',
    requiredKey: 'password.passwordRequired',
    value: (input) => input.value,
    submit: (value) => journeyApi.resetPassword(flow.journeyId, flow.token, value),
    // The policy's broken rules belong to the field, in the page's language.
    onProblem: (problem) => {
      if (problem.code !== 'password-policy-violation' || problem.errors.length === 0) return false;
      showFieldError(
        password.input,
        password.error,
        [t('problem.password-policy-violation'), ...problem.errors.map(policyRule)].join(' '),
      );
      password.input.focus();
      return true;
    },
  });
  show(heading('reset.newPasswordHeading'), form);
}

/** A broken rule of the password policy (min_length, max_length, equals_username, breached), in the page's language. */
function policyRule(rule: string): string {
  const known = t(`reset.rule.${rule}`);
  return known === `reset.rule.${rule}` ? rule : known;
}

function resetDoneScreen(): void {
  show(heading('reset.doneHeading'), h('p', {}, t('reset.doneText')), backToSignInButton('reset.signIn'));
  status(t('reset.doneHeading'));
}

/** Back to the sign-in this reset left (its token still waits at the password). */
function backToSignInButton(label = 'reset.back'): HTMLButtonElement {
  return h(
    'button',
    {
      type: 'button',
      class: label === 'reset.signIn' ? '' : 'secondary',
      onclick: () => {
        if (!signIn) return showFatal(localProblem('generic'));
        flow = { journeyId: signIn.journeyId, token: signIn.token, factors: [] };
        signIn = null;
        route({ type: 'PASSWORD' });
      },
    },
    t(label),
  );
}

// ---- passkeys ------------------------------------------------------------------------------------------

/** A passkey ceremony: the customer presses the button, the authenticator signs, the assertion is sent. */
function passkeyScreen(publicKey: Record<string, unknown>, use: 'login' | 'factor'): void {
  const problemBox = alertBox();
  const button = h('button', { type: 'button' }, t('passkey.use'));
  button.addEventListener('click', () => {
    void (async () => {
      button.disabled = true;
      status(t('status.passkey'));
      const credential = await getAssertion(publicKey);
      if (!credential) {
        button.disabled = false;
        status('');
        return setAlert(problemBox, t('passkey.cancelled'));
      }
      const answer =
        use === 'login'
          ? await journeyApi.passkeyLogin(flow.journeyId, flow.token, credential)
          : await journeyApi.verifyPasskey(flow.journeyId, flow.token, credential);
      button.disabled = false;
      handle(answer, (problem) => {
        setAlert(problemBox, problemMessage(problem));
        status('');
      });
    })();
  });
  show(heading('passkey.heading'), h('p', {}, t('passkey.text')), problemBox, button);
}

/**
 * The offer of a passkey after a multi-factor sign-in (PASSKEY_ENROL): "Create a passkey" asks for the creation
 * options and runs the ceremony in the same click (some browsers need the click for navigator.credentials.create);
 * "Not now" declines and the sign-in goes on. `publicKey`: options already fetched (a retry after a cancel).
 */
function passkeyOfferScreen(publicKey?: Record<string, unknown>): void {
  const problemBox = alertBox();
  let options = publicKey;
  const buttons = (on: boolean) => {
    for (const button of main().querySelectorAll('button')) button.disabled = on;
  };
  const create = h('button', { type: 'button', id: 'create-passkey' }, t('enrol.create'));
  create.addEventListener('click', () => {
    void (async () => {
      buttons(true);
      status(t('status.creatingPasskey'));
      if (!options) {
        const offered = await journeyApi.passkeyEnrolOptions(flow.journeyId, flow.token);
        const next = offered.ok && offered.view.status === 'PENDING' ? offered.view.nextStep : null;
        if (!offered.ok || next?.type !== 'PASSKEY_ENROL' || next.phase !== 'CREATE') {
          buttons(false);
          return handle(offered, (problem) => {
            status('');
            setAlert(problemBox, problemMessage(problem));
          });
        }
        flow.token = (offered.view as Extract<JourneyView, { status: 'PENDING' }>).transactionToken;
        options = next.publicKey;
      }
      const credential = await createCredential(options);
      if (!credential) {
        buttons(false);
        status('');
        return setAlert(problemBox, t('enrol.cancelled'));
      }
      const answer = await journeyApi.passkeyEnrol(flow.journeyId, flow.token, credential);
      buttons(false);
      handle(answer, (problem) => {
        status('');
        setAlert(problemBox, problemMessage(problem));
      });
    })();
  });
  const notNow = h('button', { type: 'button', class: 'secondary', id: 'not-now' }, t('enrol.notNow'));
  notNow.addEventListener('click', () => {
    void (async () => {
      buttons(true);
      const answer = await journeyApi.skipPasskeyEnrol(flow.journeyId, flow.token);
      buttons(false);
      handle(answer, (problem) => {
        status('');
        setAlert(problemBox, problemMessage(problem));
      });
    })();
  });
  const supported = passkeyCreationSupported();
  show(
    heading('enrol.heading'),
    h('p', {}, t(supported ? 'enrol.text' : 'enrol.unsupported')),
    problemBox,
    ...(supported ? [create] : []),
    notNow,
  );
}

// ---- second factors ------------------------------------------------------------------------------------

function factorLabel(option: FactorOption | { type: FactorOption['type'] }): string {
  if ('maskedPhone' in option) return t('factor.sms', { phone: option.maskedPhone ?? '' });
  if ('maskedEmail' in option && option.maskedEmail) return t('factor.email', { email: option.maskedEmail });
  if ('devices' in option) return t('factor.push', { devices: option.devices.join(', ') });
  if (option.type === 'PASSKEY') return t('factor.passkey');
  if (option.type === 'TOTP') return t('factor.totp');
  if (option.type === 'RECOVERY_CODE') return t('factor.recovery');
  if (option.type === 'EMAIL_OTP') return t('email.heading');
  return t(option.type === 'PUSH' ? 'push.heading' : 'sms.heading');
}

function chooseFactorScreen(message?: string): void {
  const problemBox = alertBox();
  const list = h(
    'ul',
    { class: 'choices' },
    ...flow.factors.map((option) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', class: 'choice', onclick: () => void startFactor(option.type, problemBox) },
          factorLabel(option),
        ),
      ),
    ),
  );
  show(heading('factor.heading'), h('p', {}, t(signIn ? 'reset.factorText' : 'factor.text')), problemBox, list);
  if (message) setAlert(problemBox, message);
}

/** One factor offered: say where the code or prompt goes and let the customer start it. */
function factorStartScreen(option: FactorOption | { type: FactorOption['type'] }, message?: string): void {
  // Nothing to send for an app code or a recovery code: their input is the first screen.
  if (option.type === 'TOTP' || option.type === 'RECOVERY_CODE') return factorCodeScreen(option.type, message);
  const problemBox = alertBox();
  const kind =
    option.type === 'PUSH'
      ? 'push'
      : option.type === 'PASSKEY'
        ? 'passkey'
        : option.type === 'EMAIL_OTP'
          ? 'email'
          : 'sms';
  const button = h(
    'button',
    { type: 'button', onclick: () => void startFactor(option.type, problemBox) },
    t(kind === 'passkey' ? 'passkey.use' : `${kind}.send`),
  );
  show(heading(`${kind}.heading`), h('p', {}, factorLabel(option)), problemBox, button);
  if (message) setAlert(problemBox, message);
}

const SENDING: Record<string, string> = {
  PUSH: 'status.sendingPush',
  PASSKEY: 'status.checking',
  EMAIL_OTP: 'status.sendingEmail',
  SMS_OTP: 'status.sendingSms',
};

async function startFactor(type: FactorOption['type'], problemBox: HTMLElement): Promise<void> {
  if (type === 'TOTP' || type === 'RECOVERY_CODE') return factorCodeScreen(type);
  status(t(SENDING[type] ?? 'status.checking'));
  for (const button of main().querySelectorAll('button')) button.disabled = true;
  const answer =
    type === 'PUSH'
      ? await journeyApi.sendPush(flow.journeyId, flow.token)
      : type === 'PASSKEY'
        ? await journeyApi.passkeyOptions(flow.journeyId, flow.token)
        : type === 'EMAIL_OTP'
          ? await journeyApi.sendEmail(flow.journeyId, flow.token)
          : await journeyApi.sendSms(flow.journeyId, flow.token);
  for (const button of main().querySelectorAll('button')) button.disabled = false;
  handle(answer, (problem) => {
    status('');
    // A spent push budget: offer only the factors the same token can still do, with the reason.
    const left = flow.factors.filter((option) => problem.alternatives.includes(option.type));
    if (left.length === 0) return setAlert(problemBox, problemMessage(problem));
    flow.factors = left;
    if (left.length > 1) chooseFactorScreen(problemMessage(problem));
    else factorStartScreen(left[0], problemMessage(problem));
  });
}

function secondsUntil(iso: unknown): number {
  const at = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Number.isNaN(at) ? 0 : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The code sent by SMS or email: the same screen, the channel's wording and calls. */
function codeVerifyScreen(next: Step<'SMS_OTP', 'VERIFY'> | Step<'EMAIL_OTP', 'VERIFY'>): void {
  const length = next.codeLength;
  const byEmail = next.type === 'EMAIL_OTP';
  const where: Record<string, string> =
    'maskedEmail' in next
      ? { email: next.maskedEmail ?? t('email.yourAddress') }
      : { phone: next.maskedPhone ?? t('sms.yourPhone') };
  const sending = byEmail ? 'status.sendingEmail' : 'status.sendingSms';
  const code = field(
    'code',
    t('sms.code'),
    {
      type: 'text',
      inputmode: 'numeric',
      autocomplete: 'one-time-code',
      pattern: `[0-9]{${length}}`,
      maxlength: length,
      required: true,
    },
    t(byEmail ? 'email.codeHint' : 'sms.codeHint', { ...where, length }),
  );
  const problemBox = alertBox();
  const resend = h('button', { type: 'button', class: 'secondary', id: 'resend' });
  const resendHint = h('p', { class: 'hint', id: 'resend-hint' });
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    code.wrapper,
    h('button', { type: 'submit' }, t('sms.verify')),
    resend,
    resendHint,
  );

  const resendAt = next.resendAvailableAt;
  const tick = () => {
    if (resendAt === null) {
      resend.hidden = true;
      resendHint.textContent = t('sms.noMoreResends');
      return;
    }
    const wait = secondsUntil(resendAt);
    resend.disabled = wait > 0;
    // The countdown is in the button, not the live region: announcing every second would drown the reader.
    resend.textContent = wait > 0 ? t('sms.resendIn', { seconds: wait }) : t('sms.resend');
  };
  resend.addEventListener('click', () => {
    void (async () => {
      busy(form, true);
      status(t(sending));
      const answer = byEmail
        ? await journeyApi.resendEmail(flow.journeyId, flow.token)
        : await journeyApi.resendSms(flow.journeyId, flow.token);
      busy(form, false);
      handle(answer, (problem) => {
        status('');
        tick();
        setAlert(problemBox, problemMessage(problem));
      });
      if (answer.ok) status(t('sms.resent'));
    })();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const value = code.input.value.replace(/\s/g, '');
      if (!new RegExp(`^\\d{${length}}$`).test(value)) {
        showFieldError(code.input, code.error, t('sms.codeFormat', { length }));
        return code.input.focus();
      }
      showFieldError(code.input, code.error, null);
      busy(form, true);
      status(t('status.checking'));
      const answer = byEmail
        ? await journeyApi.verifyEmail(flow.journeyId, flow.token, value)
        : await journeyApi.verifySms(flow.journeyId, flow.token, value);
      busy(form, false);
      handle(answer, (problem) => {
        status('');
        tick();
        showFieldError(code.input, code.error, problemMessage(problem));
        code.input.select();
        code.input.focus();
      });
    })();
  });
  show(heading('sms.verifyHeading'), form);
  tick();
  timers.add(window.setInterval(tick, 1000));
  status(t(byEmail ? 'email.sent' : 'sms.sent', where));
}

/**
 * A code the customer already has (the authenticator app's, or one of the saved recovery codes): one input and
 * submit, with the choice token (it works with every offered factor's operation). A wrong code keeps the token.
 */
function factorCodeScreen(type: 'TOTP' | 'RECOVERY_CODE', message?: string): void {
  const totp = type === 'TOTP';
  const prefix = totp ? 'totp' : 'recovery';
  const code = field(
    'code',
    t(`${prefix}.code`),
    totp
      ? {
          type: 'text',
          inputmode: 'numeric',
          autocomplete: 'one-time-code',
          pattern: '[0-9]{6}',
          maxlength: 6,
          required: true,
        }
      : {
          type: 'text',
          autocomplete: 'off',
          autocapitalize: 'characters',
          spellcheck: 'false',
          maxlength: 16,
          required: true,
        },
    t(`${prefix}.codeHint`),
  );
  const problemBox = alertBox();
  const others = flow.factors.filter((option) => option.type !== type);
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    code.wrapper,
    h('button', { type: 'submit' }, t(`${prefix}.verify`)),
    others.length > 0
      ? h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: () => (others.length > 1 ? chooseFactorScreen() : factorStartScreen(others[0])),
          },
          t('factor.other'),
        )
      : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const value = code.input.value.trim();
      // The service ignores case, spaces and dashes in a recovery code; 10 letters and digits remain.
      const valid = totp
        ? /^\d{6}$/.test(value.replace(/\s/g, ''))
        : /^[A-Za-z0-9]{10}$/.test(value.replace(/[\s-]/g, ''));
      if (!valid) {
        showFieldError(code.input, code.error, t(totp ? 'sms.codeFormat' : 'recovery.codeFormat', { length: 6 }));
        return code.input.focus();
      }
      showFieldError(code.input, code.error, null);
      busy(form, true);
      status(t('status.checking'));
      const answer = totp
        ? await journeyApi.verifyTotp(flow.journeyId, flow.token, value.replace(/\s/g, ''))
        : await journeyApi.recoveryCode(flow.journeyId, flow.token, value);
      busy(form, false);
      handle(answer, (problem) => {
        status('');
        showFieldError(code.input, code.error, problemMessage(problem));
        code.input.select();
        code.input.focus();
      });
    })();
  });
  show(heading(`${prefix}.heading`), h('p', {}, t(`${prefix}.text`)), form);
  if (message) setAlert(problemBox, message);
}

function pushWaitingScreen(next: Step<'PUSH', 'WAITING'>): void {
  const number = String(next.number);
  const mine = show(
    heading('push.waitingHeading'),
    h('p', {}, t('push.match')),
    h('p', { class: 'number', 'aria-label': t('push.numberLabel', { number }) }, number),
    h('p', { class: 'hint' }, t('push.waitingText')),
  );
  status(t('push.waiting', { number }));
  void pollPush(mine);
}

/** Long-polls the journey (the service holds each request until the device answers or 20 s pass). */
async function pollPush(mine: number): Promise<void> {
  while (mine === screen) {
    const answer = await journeyApi.pollPush(flow.journeyId, flow.token, 20);
    if (mine !== screen) return;
    const view = answer.ok ? answer.view : null;
    if (view?.status === 'PENDING' && view.nextStep.type === 'PUSH' && view.nextStep.phase === 'WAITING') {
      flow.token = view.transactionToken;
      continue;
    }
    if (answer.ok) status(t('push.approved'));
    return handle(answer, (problem) => {
      if (problem.code === 'push-expired') return pushExpiredScreen(problem);
      if (problem.status === 0 || problem.status >= 500) {
        // The network or the service hiccupped: wait a moment and ask again with the same token.
        return void new Promise((resolve) => setTimeout(resolve, 2000)).then(() => pollPush(mine));
      }
      showFatal(problem);
    });
  }
}

function pushExpiredScreen(problem: Problem): void {
  const problemBox = alertBox();
  const others = flow.factors.filter((option) => option.type !== 'PUSH');
  show(
    heading('push.expiredHeading'),
    h('p', { class: 'alert', role: 'alert' }, problemMessage(problem)),
    problemBox,
    h('button', { type: 'button', onclick: () => void startFactor('PUSH', problemBox) }, t('push.sendAgain')),
    ...others.map((option) =>
      h(
        'button',
        { type: 'button', class: 'secondary', onclick: () => void startFactor(option.type, problemBox) },
        factorLabel(option),
      ),
    ),
  );
}

// ---- consent -------------------------------------------------------------------------------------------

/** A scope in the page's own words (the fragment's scopes have no wording from the service). */
function scopeWords(scope: string): string {
  const known = t(`consent.scope.${scope}`);
  return known === `consent.scope.${scope}` ? scope : known;
}

/**
 * The application asks for access (issue 16): each scope in plain words with what it shares, as checkboxes
 * (openid fixed: no sign-in without it); Allow sends the ticked ones, Deny sends none and the application hears
 * access_denied (the problem's redirectTo).
 */
function consentScreen(next: Step<'CONSENT'>): void {
  const language = locale();
  const problemBox = alertBox();
  const boxes = next.scopes.map((scope, index) => {
    const id = `scope-${index}`;
    const box = h('input', {
      type: 'checkbox',
      id,
      name: 'scope',
      value: scope.scope,
      ...(scope.required ? { disabled: true } : {}),
    });
    // Required scopes and those allowed before start ticked; the others wait for the customer (data minimisation).
    box.checked = scope.required || scope.granted;
    const claims = scope.claims.map((claim) => claim.text[language] ?? claim.text.en);
    const row = h(
      'div',
      { class: 'checkbox' },
      box,
      h(
        'label',
        { for: id },
        scope.text[language] ?? scope.text.en,
        scope.required ? ` ${t('consent.required')}` : '',
        claims.length > 0
          ? h('span', { class: 'hint claims' }, ` ${t('consent.shares', { claims: claims.join(', ') })}`)
          : null,
      ),
    );
    return { scope, box, row };
  });
  const submit = async (allow: boolean) => {
    const scopes = allow
      ? boxes.filter(({ scope, box }) => scope.required || box.checked).map(({ scope }) => scope.scope)
      : [];
    busy(form, true);
    status(t('status.consenting'));
    const answer = await journeyApi.consent(flow.journeyId, flow.token, scopes);
    busy(form, false);
    if (!answer.ok && answer.problem.code === 'consent-denied' && answer.problem.redirectTo)
      return complete(answer.problem.redirectTo, 'consent.deniedHeading');
    handle(answer, (problem) => {
      status('');
      setAlert(problemBox, problemMessage(problem));
    });
  };
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    h(
      'fieldset',
      {},
      h('legend', {}, t('consent.legend', { client: next.client.name })),
      ...boxes.map(({ row }) => row),
    ),
    h('button', { type: 'submit' }, t('consent.allow')),
    h('button', { type: 'button', class: 'secondary', onclick: () => void submit(false) }, t('consent.deny')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(true);
  });
  show(
    heading('consent.heading', { client: next.client.name }),
    h('p', {}, t('consent.text', { client: next.client.name })),
    form,
  );
}

// ---- eSign ---------------------------------------------------------------------------------------------

function esignScreen(next: Step<'ESIGN'>): void {
  const document = next.document;
  const accept = h('input', {
    type: 'checkbox',
    id: 'accept',
    name: 'accept',
    required: true,
    'aria-describedby': 'accept-error',
  });
  const acceptError = h('p', { id: 'accept-error', class: 'field-error', hidden: true });
  const problemBox = alertBox();
  const submit = async (accepted: boolean) => {
    if (accepted && !accept.checked) {
      acceptError.textContent = t('esign.mustAccept');
      acceptError.hidden = false;
      accept.setAttribute('aria-invalid', 'true');
      return accept.focus();
    }
    busy(form, true);
    status(t('status.signing'));
    const answer = await journeyApi.esign(
      flow.journeyId,
      flow.token,
      { documentId: document.documentId, version: document.version, sha256: document.sha256 },
      accepted,
    );
    busy(form, false);
    handle(answer, (problem) => {
      status('');
      setAlert(problemBox, problemMessage(problem));
    });
  };
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    h(
      'dl',
      { class: 'document' },
      h('dt', {}, t('esign.title')),
      h('dd', {}, document.title),
      h('dt', {}, t('esign.version')),
      h('dd', {}, document.version),
      h('dt', {}, t('esign.fingerprint')),
      h('dd', { class: 'hash' }, document.sha256),
    ),
    document.url
      ? h(
          'p',
          {},
          h(
            'a',
            { href: document.url, target: '_blank', rel: 'noopener noreferrer' },
            t('esign.read', { title: document.title }),
          ),
        )
      : null,
    h('div', { class: 'checkbox' }, accept, h('label', { for: 'accept' }, t('esign.accept'))),
    acceptError,
    h('button', { type: 'submit' }, t('esign.sign')),
    h('button', { type: 'button', class: 'secondary', onclick: () => void submit(false) }, t('esign.decline')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit(true);
  });
  show(heading('esign.heading'), h('p', {}, t('esign.text')), form);
}

// ---- this browser as a device ----------------------------------------------------------------------------

function platformName(): string {
  const data = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return (data?.platform || navigator.platform || 'web').slice(0, 32);
}

function deviceBindScreen(next: Step<'DEVICE_BIND'>): void {
  const name = field(
    'device-name',
    t('bind.name'),
    { type: 'text', required: true, maxlength: 128, value: t('bind.defaultName', { platform: platformName() }) },
    t('bind.nameHint'),
  );
  const problemBox = alertBox();
  const form = h(
    'form',
    { novalidate: true },
    problemBox,
    name.wrapper,
    h('button', { type: 'submit' }, t('bind.submit')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void (async () => {
      const deviceName = name.input.value.trim();
      if (!deviceName) {
        showFieldError(name.input, name.error, t('bind.nameRequired'));
        return name.input.focus();
      }
      busy(form, true);
      status(t('status.binding'));
      try {
        // A key refused as already in use is never reused: a new pair is made for each try after that.
        const existing = await loadDeviceKey();
        const key =
          existing && !existing.bound && problemBox.dataset.keyInUse !== 'true' ? existing : await createDeviceKey();
        await saveDeviceKey(key);
        const proof = await signJws(key, { challenge: next.challenge, journeyId: flow.journeyId });
        const answer = await journeyApi.bindDevice(flow.journeyId, flow.token, {
          publicKey: key.publicJwk,
          proof,
          name: deviceName,
          platform: 'web',
        });
        if (answer.ok) await saveDeviceKey({ ...key, bound: true });
        busy(form, false);
        handle(answer, (problem) => {
          status('');
          if (problem.code === 'device-key-in-use') problemBox.dataset.keyInUse = 'true';
          setAlert(problemBox, problemMessage(problem));
        });
      } catch {
        busy(form, false);
        setAlert(problemBox, t('bind.cryptoUnavailable'));
      }
    })();
  });
  show(heading('bind.heading'), h('p', {}, t('bind.text')), form);
}

/** A bound browser proves itself at once: nothing to ask; if the proof does not count, MFA follows. */
async function deviceProofScreen(next: Step<'DEVICE_PROOF'>): Promise<void> {
  show(heading('proof.heading'), h('p', {}, t('proof.text')));
  status(t('proof.text'));
  const key = await loadDeviceKey();
  // Without the key the proof cannot count; an empty one tells the service to move on to a second factor.
  const proof = key
    ? await signJws(key, { challenge: next.challenge, journeyId: flow.journeyId }).catch(
        () => 'no-device-key-available',
      )
    : 'no-device-key-available';
  const answer = await journeyApi.proveDevice(flow.journeyId, flow.token, proof);
  handle(answer, (problem) => showFatal(problem));
}
