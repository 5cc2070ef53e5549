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

/**
 * A copy of a JSON value. Iterative (an explicit stack of containers still to fill), so a
 * value nested as deep as kube's decoder allows (10,000 levels) cannot overflow Node's stack.
 */
export function deepClone<T>(v: T): T {
  const shell = (x: unknown): unknown =>
    Array.isArray(x) ? new Array<unknown>(x.length) : isObject(x) ? {} : x;
  const root = shell(v);
  const pending: [source: unknown, copy: unknown][] = [[v, root]];
  while (pending.length > 0) {
    const [source, copy] = pending.pop()!;
    if (Array.isArray(source)) {
      const out = copy as unknown[];
      for (let i = 0; i < source.length; i++) {
        const c = shell(source[i]);
        out[i] = c;
        if (c !== source[i]) pending.push([source[i], c]);
      }
    } else if (isObject(source)) {
      const out = copy as JsonObject;
      for (const k of Object.keys(source)) {
        const c = shell(source[k]);
        setOwn(out, k, c);
        if (c !== source[k]) pending.push([source[k], c]);
      }
    }
  }
  return root as T;
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

/**
 * kube's JSON decoder's own nesting limit. A JSON patch is checked against it rather than
 * MAX_NESTING_DEPTH: applying one walks only the paths it names and copies values iteratively,
 * and what it leaves deeper than the object's schema is pruned without a recursive walk.
 */
export const KUBE_DECODER_MAX_DEPTH = 10_000;

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
