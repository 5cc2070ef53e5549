import { badRequest } from './status';
import { deepClone, isObject, setOwn, type JsonObject } from './jsonValue';

/**
 * JSON merge patch (RFC 7386), as kube-apiserver applies `application/merge-patch+json`:
 * objects merge key by key, `null` deletes a key, anything else (arrays included) replaces.
 * A patch that is `null` or a bare string/number/boolean is refused with 400 "Invalid JSON
 * Patch" (kube's json-patch library refuses it before merging); an array patch replaces the
 * whole document, and the registry then refuses the result as not an object.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || (typeof patch !== 'object' && !Array.isArray(patch))) {
    throw badRequest('Invalid JSON Patch');
  }
  return mergeValue(target, patch);
}

function mergeValue(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return withoutNulls(patch);
  const out: JsonObject = isObject(target) ? deepClone(target) : {};
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) delete out[key];
    else setOwn(out, key, mergeValue(out[key], value));
  }
  return out;
}

/** A value that replaces rather than merges still loses its null members (RFC 7386 §2). */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) return mergeValue({}, v);
  return v;
}
