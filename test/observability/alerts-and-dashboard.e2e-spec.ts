import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { useTestApp } from '../support/app';
import { scrapeMetrics } from '../support/metrics';

const root = join(__dirname, '..', '..');
const rulesFile = join(root, 'ops', 'prometheus', 'alerts.yml');
const rules = (load(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> }).groups.flatMap(
  (group) => group.rules,
);
const dashboard = JSON.parse(readFileSync(join(root, 'ops', 'grafana', 'ciam-dashboard.json'), 'utf8')) as Dashboard;
const guide = readFileSync(join(root, 'docs', 'operations.md'), 'utf8');

interface AlertRule {
  alert: string;
  expr: string;
  annotations: { summary: string; runbook: string };
}
interface Dashboard {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query?: unknown }> };
}

/** Series Prometheus makes itself for every target, which no service exports. */
const MADE_BY_PROMETHEUS = new Set(['up']);
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: what is left once strings, label matchers, ranges and grouping
 * clauses are removed, minus function names (followed by a parenthesis) and operators' keywords.
 */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)]
    .filter(([, name, call]) => !call && !KEYWORDS.has(name.toLowerCase()))
    .map(([, name]) => name);
  return [...new Set(names)];
}

const dashboardQueries = [
  ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => [panel.title, target.expr])),
  ...dashboard.templating.list
    .filter((variable) => typeof variable.query === 'string' && variable.query.startsWith('label_values('))
    .map((variable) => [`variable ${variable.name}`, /^label_values\(([^,)]+)/.exec(variable.query as string)![1]]),
];

/** Issue 19, item 4: the alert rules and the dashboard read only what the service exports, and each alert has its runbook. */
describe('the Prometheus alert rules and the Grafana dashboard', () => {
  const t = useTestApp();
  let exported: Set<string>;
  beforeAll(async () => {
    exported = new Set([...(await scrapeMetrics(t)).names(), ...MADE_BY_PROMETHEUS]);
  });

  it('finds the metric names in an expression, and only those', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_x_bucket{route="/a b",s=~"5.."}[5m]))) > 0.5 and on (job) up == 0 or vector(1) * 60',
      ),
    ).toEqual(['http_x_bucket', 'up']);
    expect(metricNames('sum(rate(ciam_no_such_metric_total[5m]))').filter((name) => !exported.has(name))).toEqual([
      'ciam_no_such_metric_total',
    ]);
  });

  it.each(rules.map((rule) => [rule.alert, rule.expr]))('alert %s reads only exported metrics', (_alert, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
  });

  it.each(dashboardQueries)('dashboard query "%s" reads only exported metrics', (_panel, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('explains every alert in docs/operations.md, where its runbook link points', () => {
    for (const rule of rules) {
      expect(rule.annotations.runbook).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      expect(guide).toMatch(new RegExp(`^#### ${rule.alert}$`, 'm'));
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
  });

  const promtool = (() => {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // promtool comes with Debian's `prometheus` package (.ci/run installs it).
  (promtool ? it : it.skip)('passes promtool check rules', () => {
    expect(execFileSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' })).toContain('SUCCESS');
  });
});
