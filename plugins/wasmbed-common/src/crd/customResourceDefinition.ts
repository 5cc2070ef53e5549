import { API_GROUP, API_VERSION } from '../resources/meta';
import type { KindDefinition } from '../resources/kinds';
import { toStructuralSchema, type JSONSchemaProps } from './structural';

/** Builds the apiextensions.k8s.io/v1 CRD of one kind from its zod schemas. */
export function customResourceDefinition(def: KindDefinition) {
  const openAPIV3Schema: JSONSchemaProps = {
    type: 'object',
    description: `${def.kind} of the Wasmbed platform (generated from the zod schema; do not edit).`,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: toStructuralSchema(def.spec, '.spec'),
      status: toStructuralSchema(def.status, '.status'),
    },
    required: ['spec'],
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      scope: 'Namespaced',
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: def.categories,
      },
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema },
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
        },
      ],
    },
  };
}
