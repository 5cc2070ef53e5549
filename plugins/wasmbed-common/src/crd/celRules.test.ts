import { run } from '@bufbuild/cel';
import { ARCHITECTURES } from '../resources/device';
import { BOARDS } from '../boards';
import { KINDS, type KindDefinition } from '../resources/kinds';
import { customResourceDefinition } from './customResourceDefinition';
import type { JSONSchemaProps } from './structural';

/**
 * The CEL rules in the CRDs are twins of the zod refinements: kube-apiserver evaluates one,
 * our code the other. Comparing their text proves nothing (an inverted rule regenerates
 * fine), so the same examples go through zod and through a CEL evaluator, and both must
 * accept or refuse each one, with the same message.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON as kube-apiserver hands it to CEL: objects are maps, whole numbers are ints. */
function toCel(value: Json): unknown {
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object')
    return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}

/** Every CEL rule of the schema evaluated where the value has the node, as the API server does. */
function celFailures(schema: JSONSchemaProps, value: Json, at = 'spec'): string[] {
  if (value === null || value === undefined) return [];
  const failures: string[] = [];
  for (const { rule, message } of schema['x-kubernetes-validations'] ?? []) {
    const verdict = run(rule, { self: toCel(value) } as never);
    if (typeof verdict !== 'boolean')
      throw new Error(`${at}: rule ${rule} gave ${String(verdict)}`);
    if (!verdict) failures.push(message);
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => failures.push(...celFailures(schema.items!, item, `${at}[${i}]`)));
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      const sub = schema.properties?.[key] ?? schema.additionalProperties;
      if (sub && typeof sub === 'object') failures.push(...celFailures(sub, child, `${at}.${key}`));
    }
  }
  return failures;
}

function zodFailures(def: KindDefinition, spec: Json): string[] {
  const result = def.spec.safeParse(spec);
  return result.success ? [] : result.error.issues.map(issue => issue.message);
}

const specSchemaOf = (kind: string) => {
  const def = KINDS.find(k => k.kind === kind)!;
  const crd = customResourceDefinition(def);
  return { def, schema: crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec! };
};

const token = { bootstrapTokenSecretRef: { name: 'dev-1-token', key: 'token' } };
const pem = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----';

interface Example {
  name: string;
  spec: Json;
  /** The refinement message both must give; undefined: both accept. */
  refused?: string;
}

const deviceExamples: Example[] = [
  { name: 'a token', spec: { board: 'mps2-an385', enrollment: token } },
  { name: 'a pinned key', spec: { board: 'mps2-an505', enrollment: { publicKey: pem } } },
  {
    name: 'token and key',
    spec: { board: 'mps2-an385', enrollment: { ...token, publicKey: pem } },
    refused: 'set exactly one of bootstrapTokenSecretRef and publicKey',
  },
  {
    name: 'neither token nor key',
    spec: { board: 'mps2-an385', enrollment: {} },
    refused: 'set exactly one of bootstrapTokenSecretRef and publicKey',
  },
  // Every board with its own architecture, and with each architecture it does not have.
  ...BOARDS.flatMap(board =>
    ARCHITECTURES.map(architecture => ({
      name: `${board.id} declared ${architecture}`,
      spec: { board: board.id, architecture, enrollment: token },
      refused:
        architecture === board.architecture ? undefined : 'architecture does not match the board',
    })),
  ),
];

const inlineModule = { inline: 'AGFzbQEAAAA=' };
const target = { devices: ['dev-1'] };
const applicationExamples: Example[] = [
  { name: 'inline module to named devices', spec: { module: inlineModule, target } },
  {
    name: 'module from a ConfigMap to a selector',
    spec: {
      module: { ref: { kind: 'ConfigMap', name: 'blinky', key: 'app.wasm' } },
      target: { selector: { matchLabels: { site: 'lab' } } },
    },
  },
  {
    name: 'module by URL to all devices',
    spec: { module: { url: 'https://example.org/a.wasm' }, target: { all: true } },
  },
  {
    name: 'inline and url',
    spec: { module: { ...inlineModule, url: 'https://example.org/a.wasm' }, target },
    refused: 'set exactly one of inline, url and ref',
  },
  {
    name: 'no module source',
    spec: { module: {}, target },
    refused: 'set exactly one of inline, url and ref',
  },
  {
    name: 'devices and all',
    spec: { module: inlineModule, target: { ...target, all: true } },
    refused: 'set exactly one of devices, selector and all',
  },
  {
    name: 'no target',
    spec: { module: inlineModule, target: {} },
    refused: 'set exactly one of devices, selector and all',
  },
];

describe.each([
  ['Device', deviceExamples],
  ['Application', applicationExamples],
])('%s: CEL rules and zod refinements agree', (kind, examples) => {
  const { def, schema } = specSchemaOf(kind);

  it('has CEL rules to compare (the examples exercise every one)', () => {
    const rules: string[] = [];
    const collect = (node: JSONSchemaProps) => {
      for (const v of node['x-kubernetes-validations'] ?? []) rules.push(v.message);
      for (const child of Object.values(node.properties ?? {})) collect(child);
      if (node.items) collect(node.items);
    };
    collect(schema);
    const refusedBy = new Set(examples.map(e => e.refused).filter(Boolean));
    expect(rules.length).toBeGreaterThan(0);
    expect(new Set(rules)).toEqual(refusedBy);
  });

  it.each(examples.map(e => [e.name, e] as const))('%s', (_name, example) => {
    const expected = example.refused ? [example.refused] : [];
    expect(zodFailures(def, example.spec)).toEqual(expected);
    expect(celFailures(schema, example.spec)).toEqual(expected);
  });
});
