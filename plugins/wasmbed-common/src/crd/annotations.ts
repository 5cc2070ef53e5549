import type { ZodTypeAny } from 'zod';

/**
 * Facts about a schema that zod cannot express but a CRD must carry: CEL rules that mirror a
 * zod refinement (so a real kube-apiserver enforces what the embedded store enforces), and
 * Kubernetes list semantics. Kept beside the schema that owns them, read by the CRD generator.
 */
export interface CrdFacts {
  celRules?: { rule: string; message: string }[];
  listMapKeys?: string[];
}

const facts = new WeakMap<ZodTypeAny, CrdFacts>();

export function withCrdFacts<T extends ZodTypeAny>(schema: T, extra: CrdFacts): T {
  const previous = facts.get(schema) ?? {};
  facts.set(schema, {
    celRules: [...(previous.celRules ?? []), ...(extra.celRules ?? [])],
    listMapKeys: extra.listMapKeys ?? previous.listMapKeys,
  });
  return schema;
}

export function crdFactsOf(schema: ZodTypeAny): CrdFacts | undefined {
  return facts.get(schema);
}
