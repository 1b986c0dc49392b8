/**
 * Module walls, checked by `npm run depcheck` and by test/e2e/module-walls.e2e-spec.ts (README, "Layout").
 * A module is a top-level folder under src/. `import type` counts (tsPreCompilationDeps): a type import is
 * still a dependency on the other module's design. The files directly under src/ (main.ts, app.ts,
 * app.module.ts, startup-audit.ts, openapi.ts) are the composition root and may import any module.
 *
 * An exemption is by exact file pair, never by module; a known breach, if one is ever admitted, names the
 * issue that removes it and is deleted with its fix.
 */

/** Domain modules: they hold the rules and the data, and never know which HTTP API calls them. */
const DOMAIN =
  '^src/(sessions|tokens|journeys|devices|mfa|risk|directory|clients|audit|esign|consents|pseudonyms|federation)/';
/** The HTTP protocol and API layers. */
const HTTP_LAYERS = '^src/(oauth|me|agents)/';

/**
 * The Prometheus registry (MetricsService, its module and the audit-derived domain metrics it holds): a layer
 * of its own just above audit, so the outbox (below every domain) adds its metrics to the same registry.
 */
const METRICS_REGISTRY = '(metrics[.]service|metrics[.]module|domain-metrics)[.]ts';

/**
 * Every module in dependency order: a module imports only modules listed before it (and itself), so no two
 * modules can depend on each other, directly or around a longer cycle. When a new dependency is right,
 * move the module in this list; never add a module to two places.
 * The first entry is the platform (common, config, database and the pino logging every layer uses): its
 * files may use one another, and it imports no module above it.
 */
const LAYERS = [
  { name: 'platform', path: '^src/(common|config|database)/|^src/observability/logging[.]ts$' },
  // the key-encryption key and the keys derived from it (FactorKeys, KeyDerivation): imported, never looked up at
  // run time, by every module that seals or keys a value; it imports the platform only.
  { name: 'keys', path: '^src/keys/' },
  { name: 'audit', path: '^src/audit/' },
  { name: 'metrics', path: `^src/observability/${METRICS_REGISTRY}$` },
  // the transactional outbox: enqueued by every domain in its own transaction, so below them all.
  { name: 'outbox', path: '^src/outbox/' },
  { name: 'clients', path: '^src/clients/' },
  // pairwise subjects: the mapping and its versions; knows clients only by their subject policy.
  { name: 'pseudonyms', path: '^src/pseudonyms/' },
  { name: 'directory', path: '^src/directory/' },
  { name: 'federation', path: '^src/federation/' },
  { name: 'risk', path: '^src/risk/' },
  { name: 'esign', path: '^src/esign/' },
  { name: 'devices', path: '^src/devices/' },
  { name: 'mfa', path: '^src/mfa/' },
  { name: 'sessions', path: '^src/sessions/' },
  // consent records (issue 16): read by journeys and SSO, withdrawn by the tokens' revocation cascade.
  { name: 'consents', path: '^src/consents/' },
  { name: 'tokens', path: '^src/tokens/' },
  // the audit hash chain: sequencer, signed checkpoints (the signing keys), audit:verify; audit stays a sink.
  { name: 'audit-chain', path: '^src/audit-chain/' },
  // Shared Signals and back-channel logout: outbox handlers that read tokens and clients and sign with the keys.
  { name: 'signals', path: '^src/signals/' },
  { name: 'logout', path: '^src/logout/' },
  { name: 'journeys', path: '^src/journeys/' },
  // health and the metrics endpoint read tokens (signing keys) and the directory; logging is in the platform and
  // the registry is the metrics layer.
  { name: 'observability', path: `^src/observability/(?!(logging[.]ts|${METRICS_REGISTRY})$)` },
  { name: 'oauth', path: '^src/oauth/' },
  { name: 'me', path: '^src/me/' },
  { name: 'agents', path: '^src/agents/' },
  // webhook subscriptions (an admin API behind the agents' guards) fed by the audit chain into the outbox.
  { name: 'webhooks', path: '^src/webhooks/' },
  { name: 'jobs', path: '^src/jobs/' },
  // the pages the service hosts call the REST API over HTTP, never a module: they import the platform only.
  { name: 'hosted-ui', path: '^src/hosted-ui/' },
  { name: 'cli', path: '^src/cli/' },
];

/**
 * Exact file pairs that the walls allow: `file` imports only targets matching `to` despite the rules.
 * `registry` entries are by design; `breach` entries are known defects, to be deleted with their fix.
 */
const EXEMPT = [
  {
    file: 'src/database/entities.ts',
    to: '[.]entity[.]ts$',
    kind: 'registry',
    why: "the TypeORM entity list names every module's entities so that one DataSource knows every table; it calls none of them",
  },
];

const either = (paths) => paths.map((path) => `(${path})`).join('|');
const exactly = (file) => `^${file.replace(/[.]/g, '[.]')}$`;

/**
 * A rule that skips the exempt files, and for each exempt file it applies to, a companion applying the same
 * rule to that file minus its allowed targets (dependency-cruiser cannot exempt a file pair in one rule).
 */
function withExemptions(rule) {
  const applies = EXEMPT.filter((exempt) => new RegExp(rule.from.path).test(exempt.file));
  if (applies.length === 0) return [rule];
  const main = { ...rule, from: { ...rule.from, pathNot: either(applies.map((exempt) => exactly(exempt.file))) } };
  const companions = applies.map((exempt) => ({
    ...rule,
    comment: `${rule.comment} [${exempt.file} is allowed ${exempt.to} only (${exempt.kind}): ${exempt.why}]`,
    from: { path: exactly(exempt.file) },
    to: { ...rule.to, pathNot: rule.to.pathNot ? either([rule.to.pathNot, exempt.to]) : exempt.to },
  }));
  return [main, ...companions];
}

const named = [
  {
    name: 'domain-imports-http-layer',
    comment:
      'A domain module imports the OAuth protocol layer or an HTTP API (oauth, me, agents). Move the shared type or ' +
      'service into the domain (as clients/ was) and let the HTTP layer depend on it.',
    severity: 'error',
    from: { path: DOMAIN },
    to: { path: HTTP_LAYERS },
  },
  {
    name: 'adapter-imports-journeys',
    comment:
      'Adapters and factors (mfa, risk, directory, devices, federation) serve the journeys and must not know them: refer to a ' +
      'journey by its context id, not by its entities or step types.',
    severity: 'error',
    from: { path: '^src/(mfa|risk|directory|devices|federation)/' },
    to: { path: '^src/journeys/' },
  },
  {
    name: 'audit-is-a-sink',
    comment: 'audit records what other modules report; it may use only common, config and database.',
    severity: 'error',
    from: { path: '^src/audit/' },
    to: { path: '^src/', pathNot: '^src/(audit|common|config|database)/' },
  },
  {
    name: 'sessions-import-tokens',
    comment:
      'Tokens depend on sessions, never the reverse: a session ends through its row, which every token check reads; ' +
      'the self-service bearer check goes through the CustomerTokenVerifier port.',
    severity: 'error',
    from: { path: '^src/sessions/' },
    to: { path: '^src/tokens/' },
  },
];

const layered = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `module-order-${layer.name}`,
  comment:
    `${layer.name} imports a module listed after it in .dependency-cruiser.cjs (LAYERS), which would let two modules ` +
    'depend on each other. Invert the dependency, or move the module in LAYERS if the new order is the design.',
  severity: 'error',
  from: { path: layer.path },
  to: { path: either(LAYERS.slice(index + 1).map((higher) => higher.path)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [...named, ...layered].flatMap(withExemptions),
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
