/** Deep comparison of two normalised observations, reporting where they part. */

export interface Divergence {
  path: string;
  kube: unknown;
  embedded: unknown;
}

const MAX_DIVERGENCES = 12;

export function diverge(kube: unknown, embedded: unknown): Divergence[] {
  const out: Divergence[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= MAX_DIVERGENCES) return;
    if (Object.is(a, b)) return;
    const bothArrays = Array.isArray(a) && Array.isArray(b);
    const bothObjects = isPlainObject(a) && isPlainObject(b);
    if (bothArrays) {
      const n = Math.max(a.length, b.length);
      for (let i = 0; i < n; i++) {
        if (i >= a.length || i >= b.length) {
          out.push({ path: `${path}[${i}]`, kube: a[i], embedded: b[i] });
          if (out.length >= MAX_DIVERGENCES) return;
        } else walk(a[i], b[i], `${path}[${i}]`);
      }
      return;
    }
    if (bothObjects) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const k of keys) walk(a[k], b[k], path ? `${path}.${k}` : k);
      return;
    }
    out.push({ path: path || '(root)', kube: a, embedded: b });
  };
  walk(kube, embedded, '');
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeDivergences(ds: Divergence[]): string {
  const show = (v: unknown) => {
    const s = v === undefined ? '(absent)' : JSON.stringify(v);
    return s.length > 300 ? `${s.slice(0, 300)}…` : s;
  };
  return ds.map(d => `    ${d.path}: kube=${show(d.kube)} embedded=${show(d.embedded)}`).join('\n');
}
