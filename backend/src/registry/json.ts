/** Small JSON helpers the registry's write paths share. */

/**
 * Sets an own property, even one named `__proto__` (a ConfigMap key or a label may be):
 * plain assignment would change the object's prototype instead and lose the value.
 */
export function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values, key order ignored (kube compares decoded objects). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter(k => a[k] !== undefined);
    const kb = Object.keys(b).filter(k => b[k] !== undefined);
    return (
      ka.length === kb.length &&
      ka.every(k => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]))
    );
  }
  return false;
}

/** A copy of `o` without the named top-level keys. */
export function without(o: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k)) setOwn(out, k, v);
  return out;
}

/** kube's timestamps: RFC 3339, whole seconds, UTC. */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A copy with every object's keys sorted: how kube serialises a custom resource (a Go map). */
export function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) setOwn(out, k, sortedKeys(v[k]));
  return out;
}

/** ObjectMeta's fields in the order kube's Go type serialises them. */
export const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];
const MANAGED_ORDER = [
  'manager',
  'operation',
  'apiVersion',
  'time',
  'fieldsType',
  'fieldsV1',
  'subresource',
];

export function ordered(o: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (Object.hasOwn(o, k) && o[k] !== undefined) setOwn(out, k, o[k]);
  for (const k of Object.keys(o))
    if (!Object.hasOwn(out, k) && o[k] !== undefined) setOwn(out, k, o[k]);
  return out;
}

/**
 * A core-kind object in the key order of kube's Go types: kind, apiVersion, metadata (Go
 * field order, maps sorted), then the kind's own fields as `orderBody` arranges them.
 */
export function typedOrder(
  o: Record<string, unknown>,
  orderBody: (body: Record<string, unknown>) => Record<string, unknown>,
): Record<string, unknown> {
  const meta = isPlainObject(o.metadata) ? { ...o.metadata } : {};
  for (const k of ['labels', 'annotations'])
    if (isPlainObject(meta[k])) meta[k] = sortedKeys(meta[k]);
  if (Array.isArray(meta.managedFields)) {
    meta.managedFields = meta.managedFields.map(e =>
      isPlainObject(e) ? ordered(e, MANAGED_ORDER) : e,
    );
  }
  const { kind, apiVersion, metadata: _m, ...body } = o;
  return { kind, apiVersion, metadata: ordered(meta, META_ORDER), ...orderBody(body) };
}
