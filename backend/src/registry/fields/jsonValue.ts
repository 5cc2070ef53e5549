/**
 * Plain-JSON helpers shared by the patch and field-ownership code. Every value handled here
 * came from a client, so keys are written with defineProperty (a key named `__proto__` stays
 * an ordinary key instead of replacing the object's prototype) and read as own properties.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function hasOwn(o: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** Sets `o[key] = value` as an own, enumerable property whatever the key is. */
export function setOwn(o: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    o[key] = value;
  }
}

export function deepClone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepClone) as T;
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) setOwn(out, k, deepClone(v[k]));
    return out as T;
  }
  return v;
}

/** JSON equality: object key order does not matter, array order does. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every(k => hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** JSON with object keys sorted: one spelling per value, used to compare and to name list items. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The Go JSON decoder's name for a value's type, as it appears in kube's decode errors. */
export function goJsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // 'string' | 'number'
}

/** Go's %v of a decoded JSON value: `map[k:v]` with sorted keys, `[a b]`, `<nil>`. */
export function goPrint(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (isObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map(k => `${k}:${goPrint(v[k])}`)
      .join(' ')}]`;
  }
  return v === null || v === undefined ? '<nil>' : String(v);
}

/**
 * Nesting limit of the values these functions walk. kube's JSON decoder allows 10,000 levels;
 * the walks here recurse on Node's stack, which holds about 2,000, so deeper input is refused
 * up front with kube's message (no real object of the served kinds nests beyond ~10 levels).
 */
export const MAX_NESTING_DEPTH = 1000;

/** The bracket that opens the first level beyond `max`, or undefined: iterative, never overflows. */
export function depthExceeded(v: unknown, max = MAX_NESTING_DEPTH): '{' | '[' | undefined {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth > max) return Array.isArray(x) ? '[' : '{';
    const children = Array.isArray(x) ? x : Object.values(x);
    for (const c of children) if (typeof c === 'object' && c !== null) stack.push([c, depth + 1]);
  }
  return undefined;
}
