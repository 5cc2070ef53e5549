import { badRequest, refuseDeepNesting, type PatchOptions } from './status';
import { deepClone, goJsonTypeName, isObject, setOwn, type JsonObject } from './jsonValue';

/**
 * JSON merge patch (RFC 7386), as kube-apiserver applies `application/merge-patch+json`:
 * objects merge key by key, `null` deletes a key, anything else (arrays included) replaces.
 * A `null` patch is refused with 400 "Invalid JSON Patch"; a patch that is not an object with
 * 400 and the Go decoder's message (with fieldValidation=Ignore, a scalar gets "Invalid JSON
 * Patch" and an array replaces the whole document, which the registry then refuses).
 */
export function applyMergePatch(
  target: unknown,
  patch: unknown,
  options: PatchOptions = {},
): unknown {
  refuseDeepNesting(patch, 'patch');
  refuseDeepNesting(target, 'object');
  if (patch === null) throw badRequest('Invalid JSON Patch');
  if (!isObject(patch)) {
    // With field validation on, kube decodes the patch as a map first.
    if ((options.fieldValidation ?? 'Warn') !== 'Ignore') {
      throw badRequest(
        `error decoding patch: json: cannot unmarshal ${goJsonTypeName(patch)} into Go value of type map[string]interface {}`,
      );
    }
    if (!Array.isArray(patch)) throw badRequest('Invalid JSON Patch');
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
