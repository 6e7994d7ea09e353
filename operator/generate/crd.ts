// Synthesizes the CRD YAML from the schemas with cdk8s: crds/ for `kubectl apply --server-side`,
// and the same objects as the chart's CRD template (chart-crds.ts), so the YAML is written once.

import { ApiObject, App, Chart } from 'cdk8s';
import { API_VERSION, GROUP, type KindDefinition, VERSION, objectSchema } from '../api/schemas/index.ts';
import { stripOfflineKeywords } from './strip.ts';

export const CRD_HEADER = '# generated from operator/api/schemas by `npm run generate` — do not edit\n';

export function crdFileName(k: KindDefinition): string {
  return `${k.plural}.${GROUP}.yaml`;
}

/** The CRD of one kind as a cdk8s App holding it alone. */
function crdApp(k: KindDefinition): { app: App; crd: ApiObject } {
  const app = new App();
  const chart = new Chart(app, k.plural, { disableResourceNameHashes: true });
  const crd = new ApiObject(chart, 'crd', {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${k.plural}.${GROUP}`,
      labels: { 'app.kubernetes.io/name': 'imanage-operator', 'app.kubernetes.io/part-of': 'imanage-operator' },
    },
    spec: {
      group: GROUP,
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: k.singular,
        shortNames: [...k.shortNames],
        categories: ['imanage'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: k.printerColumns.map((c) => ({ ...c })),
          schema: { openAPIV3Schema: stripOfflineKeywords(objectSchema(k)) },
        },
      ],
    },
  });
  return { app, crd };
}

/** One CRD manifest as YAML, with the do-not-edit header. */
export function synthesizeCrd(k: KindDefinition): string {
  return CRD_HEADER + crdApp(k).app.synthYaml();
}

/** One CRD as the plain object cdk8s writes into crds/. */
export function crdObject(k: KindDefinition): CrdObject {
  return crdApp(k).crd.toJson() as CrdObject;
}

export interface CrdObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec: object;
}

export { API_VERSION };
