// One customer, found by CUPID: sessions, devices, MFA lock and audit trail, each a tab loaded only when
// opened (every read is audited as agent.viewed with the agent's reason, so the console reads no more than
// the agent looks at), and every support action the agent API offers, each with its own stated reason.
import type { AgentApi, AuditFilters, AuditPage, DeviceList, MfaStanding, SessionPage } from './agent-api';
import { SignInRequired } from './agent-api';
import { h } from './dom';
import { t } from './messages';
import type { MessageKey } from './messages';
import { alertError, announce, clearNotices, describeFailure } from './notices';
import { askReason } from './reason-dialog';

type Session = SessionPage['sessions'][number];
type Device = DeviceList['devices'][number];
type AuditEvent = AuditPage['events'][number];

export interface CustomerContext {
  api: AgentApi;
  cupid: string;
  /** The reason stated for opening this customer: sent with every read. */
  reason: string;
  signInAgain(): void;
}

const TABS = ['sessions', 'devices', 'mfa', 'audit'] as const;
type Tab = (typeof TABS)[number];

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const when = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : t('value.none'));
const text = (value: string | null | undefined) => value || t('value.none');

/** Runs an API call; a refused sign-in goes back to the sign-in screen, anything else is shown as an alert. */
async function attempt<T>(context: CustomerContext, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SignInRequired) context.signInAgain();
    else alertError(describeFailure(error));
    return undefined;
  }
}

function table(caption: string, headings: MessageKey[], rows: HTMLTableRowElement[]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...headings.map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, ...rows),
  );
}

const cell = (...children: Array<Node | string>) => h('td', {}, ...children);
const badge = (value: string, label = value) => h('span', { class: `badge ${value}` }, label);

/** The customer view: a heading, a tab list, one panel. */
export function customerView(context: CustomerContext): HTMLElement {
  const panel = h('div', { role: 'tabpanel', id: 'customer-panel', tabindex: '0' });
  const tabs = TABS.map((tab) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${tab}`, 'aria-controls': 'customer-panel' }, t(`tab.${tab}`)),
  );
  const select = (tab: Tab, focus = false) => {
    tabs.forEach((button, index) => {
      const selected = TABS[index] === tab;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      if (selected && focus) button.focus();
    });
    panel.setAttribute('aria-labelledby', `tab-${tab}`);
    clearNotices();
    void PANELS[tab](context, panel);
  };
  tabs.forEach((button, index) => {
    button.addEventListener('click', () => select(TABS[index]));
    // WAI-ARIA tabs pattern: arrow keys move between tabs, Home and End to the ends.
    button.addEventListener('keydown', (event) => {
      const moves: Record<string, number> = {
        ArrowRight: index + 1,
        ArrowLeft: index - 1,
        Home: 0,
        End: TABS.length - 1,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      select(TABS[(moves[event.key] + TABS.length) % TABS.length], true);
    });
  });
  const view = h(
    'section',
    { 'aria-labelledby': 'customer-heading' },
    h('h2', { id: 'customer-heading' }, t('customer.heading', { cupid: context.cupid })),
    h('div', { role: 'tablist', 'aria-label': t('customer.tabs') }, ...tabs),
    panel,
  );
  select('sessions');
  return view;
}

const PANELS: Record<Tab, (context: CustomerContext, panel: HTMLElement) => Promise<void>> = {
  sessions: sessionsPanel,
  devices: devicesPanel,
  mfa: mfaPanel,
  audit: auditPanel,
};

async function sessionsPanel(context: CustomerContext, panel: HTMLElement): Promise<void> {
  const { api, cupid, reason } = context;
  const sessions: Session[] = [];
  let nextCursor: string | undefined;
  const body = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('sessions.more'));
  const revokeAll = h('button', { type: 'button', class: 'danger' }, t('sessions.revokeAll'));
  panel.replaceChildren(h('div', { class: 'actions' }, revokeAll), body, more);

  const render = () => {
    more.hidden = !nextCursor;
    if (sessions.length === 0) return body.replaceChildren(h('p', {}, t('sessions.none')));
    body.replaceChildren(
      table(
        t('sessions.caption'),
        [
          'sessions.status',
          'sessions.client',
          'sessions.created',
          'sessions.lastUsed',
          'sessions.ip',
          'sessions.userAgent',
          'sessions.amr',
          'sessions.action',
        ],
        sessions.map((session, index) => {
          let action: Node | string = t('value.none');
          if (session.status === 'ACTIVE') {
            const revoke = h(
              'button',
              {
                type: 'button',
                class: 'danger small',
                'data-session-id': session.id,
                'aria-label': t('sessions.revokeLabel', {
                  created: when(session.createdAt),
                  userAgent: text(session.userAgent),
                }),
              },
              t('sessions.revoke'),
            );
            revoke.addEventListener('click', () => void revokeOne(index));
            action = revoke;
          } else if (session.revokedBy) {
            action = t('sessions.revokedBy', { by: session.revokedBy, reason: text(session.revokeReason) });
          }
          return h(
            'tr',
            { 'data-session-id': session.id },
            cell(badge(session.status)),
            cell(session.clientId),
            cell(when(session.createdAt)),
            cell(when(session.lastUsedAt)),
            cell(text(session.ipAddress)),
            h('td', { class: 'wrap' }, text(session.userAgent)),
            cell(session.amr.join(', ')),
            h('td', { class: 'wrap' }, action),
          );
        }),
      ),
    );
  };
  const load = async (cursor?: string) => {
    const page = await attempt(context, () => api.sessions(cupid, reason, cursor));
    if (!page) return;
    sessions.push(...page.sessions);
    nextCursor = page.nextCursor;
    render();
  };
  const revokeOne = async (index: number) => {
    const stated = await askReason({
      title: t('sessions.revokeTitle'),
      description: t('sessions.revokeText'),
      confirm: t('sessions.revoke'),
    });
    if (!stated) return;
    const revoked = await attempt(context, () => api.revokeSession(cupid, sessions[index].id, stated));
    if (!revoked) return;
    sessions[index] = revoked;
    render();
    announce(t('sessions.revoked'));
  };
  revokeAll.addEventListener('click', () => {
    void (async () => {
      const stated = await askReason({
        title: t('sessions.revokeAllTitle', { cupid }),
        description: t('sessions.revokeAllText'),
        confirm: t('sessions.revokeAll'),
      });
      if (!stated) return;
      const result = await attempt(context, () => api.revokeAllSessions(cupid, stated));
      if (!result) return;
      sessions.length = 0;
      await load();
      announce(t('sessions.revokedAll', { count: result.revoked }));
    })();
  });
  more.addEventListener('click', () => void load(nextCursor));
  await load();
}

async function devicesPanel(context: CustomerContext, panel: HTMLElement): Promise<void> {
  const { api, cupid, reason } = context;
  const load = async () => {
    const list = await attempt(context, () => api.devices(cupid, reason));
    if (!list) return;
    if (list.devices.length === 0) return panel.replaceChildren(h('p', {}, t('devices.none')));
    panel.replaceChildren(
      table(
        t('devices.caption'),
        ['devices.name', 'devices.platform', 'devices.status', 'devices.created', 'devices.lastUsed', 'devices.action'],
        list.devices.map((device: Device) => {
          let action: Node | string = text(device.revokeReason);
          if (device.status === 'ACTIVE') {
            const revoke = h(
              'button',
              { type: 'button', class: 'danger small', 'aria-label': t('devices.revokeLabel', { name: device.name }) },
              t('devices.revoke'),
            );
            revoke.addEventListener('click', () => void revokeDevice(device));
            action = revoke;
          }
          return h(
            'tr',
            {},
            cell(device.name),
            cell(text(device.platform)),
            cell(badge(device.status)),
            cell(when(device.createdAt)),
            cell(when(device.lastUsedAt)),
            h('td', { class: 'wrap' }, action),
          );
        }),
      ),
    );
  };
  const revokeDevice = async (device: Device) => {
    const stated = await askReason({
      title: t('devices.revokeTitle', { name: device.name }),
      description: t('devices.revokeText'),
      confirm: t('devices.revoke'),
    });
    if (!stated) return;
    if (!(await attempt(context, () => api.revokeDevice(cupid, device.id, stated)))) return;
    await load();
    announce(t('devices.revoked'));
  };
  await load();
}

async function mfaPanel(context: CustomerContext, panel: HTMLElement): Promise<void> {
  const { api, cupid, reason } = context;
  const render = (standing: MfaStanding) => {
    const unlock = h('button', { type: 'button', class: 'danger' }, t('mfa.unlock'));
    unlock.addEventListener('click', () => {
      void (async () => {
        const stated = await askReason({
          title: t('mfa.unlockTitle', { cupid }),
          description: t('mfa.unlockText'),
          confirm: t('mfa.unlock'),
        });
        if (!stated) return;
        const after = await attempt(context, () => api.unlockMfa(cupid, stated));
        if (!after) return;
        render(after);
        announce(t('mfa.unlocked'));
      })();
    });
    const row = (key: MessageKey, value: Node | string) => [h('dt', {}, t(key)), h('dd', {}, value)];
    panel.replaceChildren(
      h('h3', {}, t('mfa.heading')),
      h(
        'dl',
        {},
        ...row('mfa.locked', standing.locked ? badge('locked', t('mfa.lockedYes')) : t('mfa.lockedNo')),
        ...row('mfa.lockedUntil', when(standing.lockedUntil)),
        ...row(
          'mfa.failures',
          t('mfa.failuresValue', {
            count: standing.failuresInWindow,
            limit: standing.limit,
            hours: Math.round(standing.windowSeconds / 3600),
          }),
        ),
        ...row('mfa.lastLocked', when(standing.lastLockedAt)),
        ...row('mfa.cleared', when(standing.clearedAt)),
        ...row('mfa.clearedBy', text(standing.clearedBy)),
      ),
      h('div', { class: 'actions' }, unlock),
    );
  };
  const standing = await attempt(context, () => api.mfa(cupid, reason));
  if (standing) render(standing);
}

/** A datetime-local value (the agent's local time) as the ISO 8601 instant the API takes. */
function instant(value: string): string | undefined {
  return value ? new Date(value).toISOString() : undefined;
}

async function auditPanel(context: CustomerContext, panel: HTMLElement): Promise<void> {
  const { api, cupid, reason } = context;
  const field = (id: string, label: MessageKey, input: HTMLInputElement, hint?: MessageKey) =>
    h(
      'div',
      {},
      h('label', { for: id }, t(label)),
      input,
      hint ? h('p', { class: 'hint', id: `${id}-hint` }, t(hint)) : null,
    );
  const types = h('input', {
    id: 'audit-types',
    name: 'types',
    'aria-describedby': 'audit-types-hint',
    pattern: '[a-z][a-z0-9_.]*(,[a-z][a-z0-9_.]*)*',
    autocomplete: 'off',
  });
  const from = h('input', { id: 'audit-from', name: 'from', type: 'datetime-local' });
  const to = h('input', { id: 'audit-to', name: 'to', type: 'datetime-local' });
  const form = h(
    'form',
    { 'aria-label': t('audit.filters') },
    h(
      'div',
      { class: 'row' },
      field('audit-types', 'audit.types', types, 'audit.typesHint'),
      field('audit-from', 'audit.from', from),
      field('audit-to', 'audit.to', to),
      h('div', { class: 'submit' }, h('button', { type: 'submit' }, t('audit.apply'))),
    ),
  );
  const body = h('div', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('audit.more'));
  panel.replaceChildren(form, body, more);

  const events: AuditEvent[] = [];
  let filters: AuditFilters = {};
  let nextCursor: string | undefined;
  const render = () => {
    more.hidden = !nextCursor;
    if (events.length === 0) return body.replaceChildren(h('p', {}, t('audit.none')));
    body.replaceChildren(
      table(
        t('audit.caption'),
        ['audit.time', 'audit.type', 'audit.outcome', 'audit.actor', 'audit.session', 'audit.details'],
        events.map((event) =>
          h(
            'tr',
            { 'data-event-type': event.type },
            cell(when(event.createdAt)),
            cell(event.type),
            cell(badge(event.outcome)),
            cell(event.actorId ? `${event.actorType}: ${event.actorId}` : event.actorType),
            h('td', { class: 'wrap' }, text(event.sessionId)),
            h(
              'td',
              { class: 'wrap' },
              Object.entries(event.details as Record<string, unknown>)
                .map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
                .join('; ') || t('value.none'),
            ),
          ),
        ),
      ),
    );
  };
  const load = async (cursor?: string) => {
    const page = await attempt(context, () => api.audit(cupid, reason, filters, cursor));
    if (!page) return;
    if (!cursor) events.length = 0;
    events.push(...page.events);
    nextCursor = page.nextCursor;
    render();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    filters = {
      types: types.value.replace(/\s+/g, '') || undefined,
      from: instant(from.value),
      to: instant(to.value),
    };
    clearNotices();
    void load();
  });
  more.addEventListener('click', () => void load(nextCursor));
  await load();
}
