import { badRequest, strategicMergePatchUnsupported } from './status';
import { canonicalJson, deepClone, hasOwn, isObject, setOwn, type JsonObject } from './jsonValue';

/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the core kinds served
 * here, as `kubectl apply` (client-side) and `kubectl patch` send it. Maps merge and `null`
 * deletes a key as in a JSON merge patch; a list merges only where the kind's Go type declares
 * a patch strategy (`patchStrategy:"merge"`), otherwise the patch's list replaces it. The
 * directives kubectl writes are understood: `$patch: replace|delete|merge` (on a map or as a
 * list element), `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>`, `$retainKeys`.
 */

/** Where a list merges instead of being replaced: a set of scalars, or a list of maps by key. */
interface PatchStrategy {
  fields?: Record<string, PatchStrategy>;
  /** This node is a list that merges; `mergeKey` absent = a list of scalars. */
  mergeList?: { mergeKey?: string };
}

const OBJECT_META: PatchStrategy = {
  fields: {
    finalizers: { mergeList: {} },
    ownerReferences: { mergeList: { mergeKey: 'uid' } },
  },
};

/** The patch strategies of the core kinds' Go types (k8s.io/api), for the fields they have. */
const CORE_STRATEGIES: Record<string, PatchStrategy> = {
  Namespace: {
    fields: {
      metadata: OBJECT_META,
      status: { fields: { conditions: { mergeList: { mergeKey: 'type' } } } },
    },
  },
  Secret: { fields: { metadata: OBJECT_META } },
  ConfigMap: { fields: { metadata: OBJECT_META } },
  Event: { fields: { metadata: OBJECT_META } },
  Lease: { fields: { metadata: OBJECT_META } },
};

export function supportsStrategicMergePatch(kind: string): boolean {
  return hasOwn(CORE_STRATEGIES, kind);
}

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/**
 * Applies a strategic merge patch to an object of a core `kind`. Custom resources (and any
 * kind without Go patch strategies) get kube's 415 UnsupportedMediaType.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, kind: string): unknown {
  const strategy = CORE_STRATEGIES[kind];
  if (!hasOwn(CORE_STRATEGIES, kind) || !strategy) throw strategicMergePatchUnsupported();
  if (!isObject(patch)) {
    throw badRequest('invalid JSON document');
  }
  const merged = mergeMap(isObject(target) ? deepClone(target) : {}, patch, strategy);
  return merged ?? {};
}

/** Merges `patch` into `original` (which it may modify); undefined = the map is deleted. */
function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  strategy: PatchStrategy | undefined,
): JsonObject | undefined {
  const directive = patch[PATCH];
  if (directive !== undefined) {
    if (directive === 'delete') return undefined;
    if (directive === 'replace') return mergeMap({}, withoutKey(patch, PATCH), strategy);
    if (directive !== 'merge') throw badRequest(`Unknown patch type: ${String(directive)}`);
  }

  for (const key of Object.keys(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const remove = patch[key];
    if (!Array.isArray(remove)) throw badRequest('Invalid JSON document');
    const current = original[field];
    if (Array.isArray(current)) {
      const gone = new Set(remove.map(canonicalJson));
      setOwn(
        original,
        field,
        current.filter(v => !gone.has(canonicalJson(v))),
      );
    }
  }

  for (const key of Object.keys(patch)) {
    if (key === PATCH || key === RETAIN_KEYS || key.startsWith('$')) continue;
    const value = patch[key];
    const fieldStrategy = strategy?.fields?.[key];
    if (value === null) {
      delete original[key];
    } else if (isObject(value)) {
      const merged = mergeMap(
        isObject(original[key]) ? (original[key] as JsonObject) : {},
        value,
        fieldStrategy,
      );
      if (merged === undefined) delete original[key];
      else setOwn(original, key, merged);
    } else if (Array.isArray(value)) {
      const current = Array.isArray(original[key]) ? (original[key] as unknown[]) : [];
      setOwn(original, key, mergeList(current, value, fieldStrategy));
    } else {
      setOwn(original, key, value);
    }
  }

  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const order = patch[key];
    if (!Array.isArray(order)) throw badRequest('Invalid JSON document');
    const list = original[field];
    if (Array.isArray(list)) {
      setOwn(original, field, reorder(list, order, strategy?.fields?.[field]?.mergeList?.mergeKey));
    }
  }

  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('Invalid JSON document');
    const keep = new Set(retain.filter((k): k is string => typeof k === 'string'));
    for (const key of Object.keys(original)) if (!keep.has(key)) delete original[key];
  }
  return original;
}

function withoutKey(o: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o)) if (k !== key) setOwn(out, k, o[k]);
  return out;
}

/** A list without a merge strategy is replaced; one with a strategy merges element-wise. */
function mergeList(original: unknown[], patch: unknown[], strategy?: PatchStrategy): unknown[] {
  const clean = (v: unknown) => (isObject(v) ? (mergeMap({}, v, strategy) ?? {}) : v);
  if (!strategy?.mergeList) return patch.map(clean);
  const mergeKey = strategy.mergeList.mergeKey;
  const isDirective = (v: unknown, which: string) => isObject(v) && v[PATCH] === which;

  if (patch.some(v => isDirective(v, 'replace'))) {
    return patch.filter(v => !isDirective(v, 'replace')).map(clean);
  }
  if (mergeKey === undefined) {
    // A set of scalars: the union, first occurrence first.
    const seen = new Set<string>();
    const out: unknown[] = [];
    for (const v of [...original, ...patch]) {
      const id = canonicalJson(v);
      if (!seen.has(id)) {
        seen.add(id);
        out.push(v);
      }
    }
    return out;
  }

  const keyOf = (v: unknown) =>
    isObject(v) && hasOwn(v, mergeKey) ? canonicalJson(v[mergeKey]) : undefined;
  let out = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw badRequest('Invalid JSON document');
    const key = keyOf(item);
    if (key === undefined) {
      throw badRequest(
        `map: ${canonicalJson(item)} does not contain declared merge key: ${mergeKey}`,
      );
    }
    const at = out.findIndex(v => keyOf(v) === key);
    if (isDirective(item, 'delete')) {
      out = out.filter(v => keyOf(v) !== key);
    } else if (at >= 0) {
      out[at] = mergeMap(deepClone(out[at] as JsonObject), item, strategy) ?? {};
    } else {
      out.push(mergeMap({}, item, strategy) ?? {});
    }
  }
  return out;
}

/**
 * `$setElementOrder`: elements named in `order` take that order; the others (present only on
 * the server) keep their position relative to the start of the list.
 */
function reorder(list: unknown[], order: unknown[], mergeKey?: string): unknown[] {
  const idOf = (v: unknown) =>
    mergeKey !== undefined && isObject(v) ? canonicalJson(v[mergeKey]) : canonicalJson(v);
  const rank = new Map(order.map((v, i) => [idOf(v), i]));
  const ordered = list.filter(v => rank.has(idOf(v)));
  ordered.sort((a, b) => rank.get(idOf(a))! - rank.get(idOf(b))!);
  const out: unknown[] = [];
  let next = 0;
  list.forEach(v => {
    out.push(rank.has(idOf(v)) ? ordered[next++] : v);
  });
  return out;
}
