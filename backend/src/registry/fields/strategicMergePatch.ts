import {
  badRequest,
  refuseDeepNesting,
  serverError,
  strategicMergePatchUnsupported,
} from './status';
import {
  canonicalJson,
  deepClone,
  goJsonTypeName,
  goPrint,
  hasOwn,
  isObject,
  setOwn,
  type JsonObject,
} from './jsonValue';

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
  refuseDeepNesting(patch, 'patch');
  refuseDeepNesting(target, 'object');
  if (patch === null) return deepClone(target);
  if (!isObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type map[string]interface {}`,
    );
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
    if (directive !== 'merge') {
      throw serverError(`unknown patch type: ${goPrint(directive)} in map: ${goPrint(patch)}`);
    }
  }

  for (const key of Object.keys(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const remove = patch[key];
    const current = original[field];
    // kube ignores a list of deletions that is not a list.
    if (Array.isArray(current) && Array.isArray(remove)) {
      const gone = new Set(remove.map(canonicalJson));
      setOwn(
        original,
        field,
        current.filter(v => !gone.has(canonicalJson(v))),
      );
    }
  }

  const originalLists = new Map<string, unknown[]>();
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const order = patch[key];
    if (!Array.isArray(order)) {
      throw serverError(`expected a []interface {}, but received a ${goJsonTypeName(order)}`);
    }
    const patchList = patch[field];
    if (Array.isArray(patchList)) {
      checkPatchFollowsOrder(patchList, order, strategy?.fields?.[field]?.mergeList?.mergeKey);
    }
    if (Array.isArray(original[field])) originalLists.set(field, original[field] as unknown[]);
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
    const list = original[field];
    if (Array.isArray(list)) {
      const mergeKey = strategy?.fields?.[field]?.mergeList?.mergeKey;
      const order = patch[key] as unknown[];
      setOwn(original, field, reorder(list, order, originalLists.get(field) ?? [], mergeKey));
    }
  }

  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('invalid patch format of retainKeys');
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

  // kube merges only lists whose elements are all of one type (maps, or one scalar type).
  const kinds = new Set([...original, ...patch].map(goJsonTypeName));
  if (kinds.size > 1) {
    throw serverError(`list element types are not identical: ${goPrint([original, patch])}`);
  }
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
  // As kube: `$patch: delete` elements first remove every element with their key from the
  // stored list, then the others merge by key. Items are indexed by key so that a long patch
  // against a long list stays linear.
  const deleted = new Set<string>();
  const merging: JsonObject[] = [];
  for (const item of patch) {
    const key = keyOf(item);
    if (key === undefined) {
      throw serverError(`map: ${goPrint(item)} does not contain declared merge key: ${mergeKey}`);
    }
    if (isDirective(item, 'delete')) deleted.add(key);
    else merging.push(item as JsonObject); // keyOf found its merge key: a map
  }
  const out = original.filter(v => !deleted.has(keyOf(v) ?? ''));
  const at = new Map<string, number>();
  out.forEach((v, i) => {
    const key = keyOf(v);
    if (key !== undefined && !at.has(key)) at.set(key, i);
  });
  for (const item of merging) {
    const key = keyOf(item)!;
    const i = at.get(key);
    if (i !== undefined) {
      out[i] = mergeMap(deepClone(out[i] as JsonObject), item, strategy) ?? {};
    } else {
      at.set(key, out.length);
      out.push(mergeMap({}, item, strategy) ?? {});
    }
  }
  return out;
}

/**
 * The items of a patch list must appear in its `$setElementOrder` list, in the same order
 * (kube refuses the patch otherwise, with this message).
 */
function checkPatchFollowsOrder(patchList: unknown[], order: unknown[], mergeKey?: string): void {
  const idOf = (v: unknown) =>
    mergeKey !== undefined && isObject(v) ? canonicalJson(v[mergeKey]) : canonicalJson(v);
  const items = patchList.filter(v => !(isObject(v) && v[PATCH] !== undefined));
  let p = 0;
  for (const o of order) {
    if (p < items.length && idOf(items[p]) === idOf(o)) p++;
  }
  if (p < items.length) {
    throw serverError(
      `The order in patch list:\n${goPrint(patchList)}\n doesn't match $setElementOrder list:\n${goPrint(order)}\n`,
    );
  }
}

/**
 * `$setElementOrder`: the elements it names take its order; the others (known only to the
 * server) are merged in by their position in the stored list, so they stay next to the
 * elements they followed.
 */
function reorder(list: unknown[], order: unknown[], serverOrder: unknown[], mergeKey?: string) {
  const idOf = (v: unknown) =>
    mergeKey !== undefined && isObject(v) ? canonicalJson(v[mergeKey]) : canonicalJson(v);
  const rank = new Map(order.map((v, i) => [idOf(v), i]));
  const serverRank = new Map(serverOrder.map((v, i) => [idOf(v), i]));
  const ordered = list.filter(v => rank.has(idOf(v)));
  ordered.sort((a, b) => rank.get(idOf(a))! - rank.get(idOf(b))!);
  const serverOnly = list.filter(v => !rank.has(idOf(v)));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < ordered.length) {
    if (j >= ordered.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(ordered[j++]);
    else {
      const l = serverRank.get(idOf(serverOnly[i]));
      const r = serverRank.get(idOf(ordered[j]));
      if (l !== undefined && r !== undefined && l < r) out.push(serverOnly[i++]);
      else out.push(ordered[j++]);
    }
  }
  return out;
}
