import { describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { KINDS } from '../api/schemas/index.ts';
import { chartCrdTemplate, TemplateSyntaxInCrdError } from './chart-crds.ts';
import { crdObject } from './crd.ts';

/** The template with its actions removed: what Helm renders with crds.enabled and crds.keep=false, labels aside. */
function withoutActions(template: string): unknown[] {
  const actions = /\{\{|^ {2}(annotations|labels):$|resource-policy/;
  const lines = template.split('\n').filter((line) => !actions.test(line));
  return loadAll(lines.join('\n')).filter(Boolean);
}

describe('the chart CRD template', () => {
  it('holds the very objects of crds/, one per kind, with the chart labels in place of their own', () => {
    const withoutLabels = KINDS.map(crdObject).map(({ metadata: { labels: _labels, ...metadata }, ...crd }) => ({
      ...crd,
      metadata,
    }));
    expect(withoutActions(chartCrdTemplate(KINDS))).toEqual(withoutLabels);
    expect(chartCrdTemplate(KINDS)).toContain(
      '  labels:\n    {{- include "imanage-operator.labels" $ | nindent 4 }}\n',
    );
  });

  it('refuses a schema that Helm would read as a template', () => {
    const kind = { ...KINDS[0]!, description: 'Write {{ .name }} here.' };
    expect(() => chartCrdTemplate([kind])).toThrow(TemplateSyntaxInCrdError);
    expect(() => chartCrdTemplate([kind])).toThrow(/imanageconnections\.imanage\.operator\.dev: the schema holds/);
  });
});
