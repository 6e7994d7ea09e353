// The chart's CRD template, from the same cdk8s objects as crds/, so the CRD YAML is written once.
// A template rather than the chart's crds/ folder: Helm installs crds/ on first install only and
// never upgrades, skips by value or deletes them, while issue 13 asks for an opt-out by value
// (`crds.enabled`), CRDs that follow upgrades (applied server-side, as Helm 4 applies every
// template) and a choice to keep them on uninstall (`crds.keep`, helm.sh/resource-policy: keep;
// deleting a CRD deletes every object of its kind, so keeping is the default).

import type { KindDefinition } from '../api/schemas/index.ts';
import { CRD_HEADER, crdObject } from './crd.ts';
import { toYaml } from './yaml.ts';

export class TemplateSyntaxInCrdError extends Error {
  override readonly name = 'TemplateSyntaxInCrdError';
  constructor(crd: string) {
    super(
      `${crd}: the schema holds '{{', which Helm would read as a template action; ` +
        'reword the description or escape it in operator/generate/chart-crds.ts',
    );
  }
}

const KEEP_ANNOTATION = [
  '  {{- if $.Values.crds.keep }}',
  '  annotations:',
  '    helm.sh/resource-policy: keep',
  '  {{- end }}',
].join('\n');

// The chart's labels (app.kubernetes.io/*, helm.sh/chart) replace crds/' own, as on every object of the release.
const CHART_LABELS = ['  labels:', '    {{- include "imanage-operator.labels" $ | nindent 4 }}'].join('\n');

const indent = (text: string): string => text.replace(/^(?=.)/gm, '  ');

function crdDocument(k: KindDefinition): string {
  const { apiVersion, kind, metadata, spec } = crdObject(k);
  const { labels: _own, ...rest } = metadata;
  const document = [
    `---\n${toYaml({ apiVersion, kind })}metadata:\n${CHART_LABELS}\n${indent(toYaml(rest))}${KEEP_ANNOTATION}\n`,
    toYaml({ spec }),
  ].join('');
  const actions = document.replace(KEEP_ANNOTATION, '').replace(CHART_LABELS, '');
  if (actions.includes('{{')) throw new TemplateSyntaxInCrdError(metadata.name);
  return document;
}

/** templates/crds.yaml: every kind's CRD, rendered when `crds.enabled`. */
export function chartCrdTemplate(kinds: readonly KindDefinition[]): string {
  return [CRD_HEADER, '{{- if .Values.crds.enabled }}\n', ...kinds.map(crdDocument), '{{- end }}\n'].join('');
}
