// The chart's monitoring as it renders: the PrometheusRule's alerts pass the real promtool (`check
// rules`, and `test rules` with the unit tests in test/fixtures/alerts.test.yaml), and every query
// of the alerts and of the Grafana dashboard names a metric the operator's registry exports.
// promtool comes from Debian's `prometheus` package (tools/ensure-promtool.sh installs it).

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dump, load, loadAll } from 'js-yaml';
import { OPERATOR_KINDS } from '../operator/api/kinds.ts';
import { createMetrics } from '../operator/runtime/metrics.ts';
import { run } from './harness/exec.ts';

const root = join(import.meta.dirname, '..');
const chart = join(root, 'charts', 'imanage-operator');
const exec = promisify(execFile);
const MONITORING_APIS = ['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule'];

let work: string;
let promtool: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'monitoring-test-'));
  promtool = (await exec('bash', [join(root, 'tools', 'ensure-promtool.sh')], { timeout: 600_000 })).stdout.trim();
}, 600_000);
afterAll(() => rm(work, { recursive: true, force: true }));

async function renderOne(template: string, values: readonly string[]): Promise<any> {
  const args = ['template', 'imanage-operator', chart, '-n', 'imanage-system', '--show-only', template];
  const apis = MONITORING_APIS.flatMap((api) => ['--api-versions', api]);
  const { stdout } = await exec(join(inject('binDir'), 'helm'), [...args, ...apis, ...values]);
  const [doc] = loadAll(stdout).filter(Boolean);
  return doc;
}

async function renderedRules(): Promise<{ path: string; groups: { rules: { alert?: string; expr: string }[] }[] }> {
  const rule = await renderOne('templates/prometheusrule.yaml', ['--set', 'prometheusRule.enabled=true']);
  expect(rule.kind).toBe('PrometheusRule');
  const path = join(work, 'rules.yaml');
  await writeFile(path, dump(rule.spec));
  return { path, groups: rule.spec.groups };
}

async function renderedDashboard(): Promise<any> {
  const configMap = await renderOne('templates/dashboard.yaml', ['--set', 'grafanaDashboard.enabled=true']);
  expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
  return JSON.parse(configMap.data['imanage-operator.json']);
}

describe('the alerts, with the real promtool', () => {
  it('pass promtool check rules', async () => {
    const { path } = await renderedRules();
    const checked = await run(promtool, ['check', 'rules', path]);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/SUCCESS: 9 rules found/);
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const { path } = await renderedRules();
    const tests = load(await readFile(join(root, 'test', 'fixtures', 'alerts.test.yaml'), 'utf8')) as object;
    const testPath = join(work, 'alerts.test.yaml');
    await writeFile(testPath, dump({ rule_files: [path], ...tests }));
    const tested = await run(promtool, ['test', 'rules', testPath]);
    expect(tested.code, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toContain('SUCCESS');
  });

  it('cover what the chart promises: Ready, tokens, registration, reconciling, leader', async () => {
    const { groups } = await renderedRules();
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(
      expect.arrayContaining([
        'IManageConnectionNotReady',
        'IManageAccessTokenExpiringSoon',
        'IManageTokenRefreshFailing',
        'IManageRegistrationOverdue',
        'IManageOperatorNotReconciling',
        'IManageOperatorNoLeader',
      ]),
    );
  });
});

/** The names the operator exports: its registry with both kinds' ready metrics, histograms' series included. */
async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  for (const kind of OPERATOR_KINDS) metrics.trackReady(kind.kind!, () => []);
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(metric.name + s));
    if (String(metric.type) === 'summary') ['_sum', '_count'].forEach((s) => names.add(metric.name + s));
  }
  return names;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless']);
const PROMQL_WORDS_TOO = new Set(['bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL query reads: what is left once strings, label matchers, ranges,
 * grouping clauses and numbers are removed, and that is not a function (followed by `(`) or a
 * keyword. Queries are the chart's own, a few hundred characters; the regexes do not backtrack.
 */
function metricNames(query: string): string[] {
  const stripped = query
    // Grafana's label_values(metric, label): the second argument is a label.
    .replace(/label_values\(([^,()]*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)/g, '($1)')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const [word, call] = [m[0].replace(/\s*\($/, ''), m[1]];
    if (call || PROMQL_WORDS.has(word) || PROMQL_WORDS_TOO.has(word.toLowerCase())) continue;
    if (/^[0-9]/.test(word) || /^[0-9.e+-]+$/.test(word)) continue;
    names.push(word);
  }
  return names;
}

function dashboardQueries(dashboard: any): string[] {
  const panels = (list: any[]): any[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
  const targets = panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t: any) => t.expr));
  const variables = dashboard.templating.list
    .filter((v: any) => v.type === 'query')
    .map((v: any) => (typeof v.query === 'string' ? v.query : v.query.query));
  return [...targets, ...variables];
}

describe('every query names a metric the operator exports', () => {
  it.each([
    [
      'a label matcher and a function',
      'sum by (kind) (rate(imanage_operator_reconcile_total{result!="x"}[5m]))',
      ['imanage_operator_reconcile_total'],
    ],
    [
      'a template variable',
      'label_values(imanage_connection_ready_status, namespace)',
      ['imanage_connection_ready_status'],
    ],
    ['two metrics and a keyword', 'a_total > 0 unless on (job) b_total', ['a_total', 'b_total']],
    ['time() and a number', 'time() - max by (host) (x_seconds) > 3 * 86400', ['x_seconds']],
  ])('reads the names from %s', (_name, query, names) => {
    expect(metricNames(query)).toEqual(names);
  });

  it('in the dashboard', async () => {
    const exported = await exportedNames();
    const queries = dashboardQueries(await renderedDashboard());
    expect(queries.length).toBeGreaterThan(15);
    for (const query of queries) {
      const names = metricNames(query);
      expect(names.length, query).toBeGreaterThan(0);
      expect(
        names.filter((n) => !exported.has(n)),
        query,
      ).toEqual([]);
    }
  });

  it('in the alerts', async () => {
    const exported = await exportedNames();
    const { groups } = await renderedRules();
    for (const { expr } of groups.flatMap((g) => g.rules)) {
      expect(
        metricNames(expr).filter((n) => !exported.has(n)),
        expr,
      ).toEqual([]);
    }
  });

  it('and a query naming a metric the operator does not export is caught', async () => {
    const exported = await exportedNames();
    expect(metricNames('sum(rate(imanage_operator_reconciles_total[5m]))').filter((n) => !exported.has(n))).toEqual([
      'imanage_operator_reconciles_total',
    ]);
  });
});
