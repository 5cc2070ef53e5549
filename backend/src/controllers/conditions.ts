import type { Condition } from '@wasmbed/plugin-wasmbed-common';

/**
 * metav1.Condition bookkeeping: a condition's lastTransitionTime changes only when its status
 * does, so a controller that writes the same conclusion again writes nothing new.
 */
export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
}

export function setConditions(
  current: readonly Condition[] | undefined,
  wanted: readonly ConditionInput[],
  now: string,
): Condition[] {
  const out: Condition[] = [];
  for (const want of wanted) {
    const before = current?.find(c => c.type === want.type);
    const lastTransitionTime =
      before && before.status === want.status ? before.lastTransitionTime : now;
    out.push({
      type: want.type,
      status: want.status,
      reason: want.reason,
      message: want.message,
      lastTransitionTime,
      ...(want.observedGeneration !== undefined
        ? { observedGeneration: want.observedGeneration }
        : {}),
    });
  }
  // Conditions another writer set (a type this controller does not manage) are kept.
  for (const c of current ?? []) if (!wanted.some(w => w.type === c.type)) out.push(c);
  return out;
}

export function conditionOf(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find(c => c.type === type);
}

/** RFC 3339 in whole seconds, as metav1.Time serialises. */
export function nowTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Deep equality of JSON values (key order ignored): no write when nothing changed. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ka = Object.keys(a).filter(k => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter(k => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every(k =>
    sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
