/**
 * A conformance case: one function run against each server (in a namespace of its own, the
 * same name on both), whose observation is normalised and compared, plus the expectations a
 * user relies on, checked on each server's observation alone, so a case cannot pass by both
 * servers being wrong the same way.
 */
import assert from 'node:assert/strict';
import type { HttpAnswer } from './http';
import type { ServerUnderTest } from './servers';

export type Observation = Record<string, unknown>;

export interface Case {
  name: string;
  run(server: ServerUnderTest, ns: string): Promise<Observation>;
  /** Throws (node:assert) when the normalised observation breaks what a user relies on. */
  expect(o: Observation): void;
}

export const WASMBED = '/apis/wasmbed.io/v1alpha1';

export function nsPath(ns: string, resource: string, name?: string, sub?: string): string {
  const base =
    resource === 'configmaps' || resource === 'secrets' || resource === 'events'
      ? `/api/v1/namespaces/${ns}/${resource}`
      : resource === 'leases'
        ? `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`
        : `${WASMBED}/namespaces/${ns}/${resource}`;
  return [base, name, sub].filter(Boolean).join('/');
}

/** The parts of an answer a user sees: the code and the body (and warnings when there are any). */
export function seen(a: HttpAnswer): Observation {
  return a.warnings.length
    ? { code: a.code, warnings: a.warnings, body: a.body }
    : { code: a.code, body: a.body };
}

/** Names of a list's items, in the order served. */
export function names(a: HttpAnswer): string[] {
  const items = (a.body as { items?: { metadata?: { name?: string } }[] }).items;
  return Array.isArray(items) ? items.map(i => i.metadata?.name ?? '?') : [];
}

/**
 * kubectl's column output as cells. Columns are left-aligned under their header, so each
 * cell is cut at the header's column starts (an empty cell stays in its column). Without a
 * header row (--no-headers), cells are split at runs of two or more spaces.
 */
export function tableCells(text: string, headers = true): string[][] {
  const lines = text.split('\n').filter(l => l.trim() !== '');
  if (!headers || lines.length === 0) return lines.map(l => l.trim().split(/ {2,}/));
  const starts = [...lines[0]!.matchAll(/\S+(?: \S+)*/g)].map(m => m.index);
  return lines.map(l => starts.map((s, i) => l.slice(s, starts[i + 1] ?? l.length).trim()));
}

/** A field of an observation by a dotted path, for expectations. */
export function at(o: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      o,
    );
}

export function expectCode(o: Observation, path: string, code: number, reason?: string) {
  assert.equal(at(o, `${path}.code`), code, `${path}: HTTP ${code} expected`);
  if (reason !== undefined)
    assert.equal(at(o, `${path}.body.reason`), reason, `${path}: reason ${reason} expected`);
}

export { assert };
