import { badRequest, refuseDeepNesting, type PatchOptions } from './status';
import {
  deepClone,
  goJsonTypeName,
  isObject,
  KUBE_DECODER_MAX_DEPTH,
  setOwn,
  type JsonObject,
} from './jsonValue';

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
  // kube decodes the patch with its decoder's own limit; a deep unknown field is pruned later.
  refuseDeepNesting(patch, 'patch', KUBE_DECODER_MAX_DEPTH);
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

/**
 * The merge, as an explicit stack of (where to put it, live value, patch value) tasks rather
 * than recursion: a patch may nest as deep as kube's decoder allows (10,000 levels), deeper
 * than Node's stack. Each key is placed when first seen so the result keeps the key order.
 */
function mergeValue(target: unknown, patch: unknown): unknown {
  const result: { value?: unknown } = {};
  type Task = { put: (v: unknown) => void; target: unknown; patch: unknown };
  const tasks: Task[] = [{ put: v => (result.value = v), target, patch }];
  while (tasks.length > 0) {
    const task = tasks.pop()!;
    const p = task.patch;
    if (isObject(p)) {
      const out: JsonObject = isObject(task.target) ? deepClone(task.target) : {};
      task.put(out);
      for (const key of Object.keys(p)) {
        const value = p[key];
        if (value === null) {
          delete out[key];
          continue;
        }
        const live = out[key];
        setOwn(out, key, null);
        tasks.push({ put: v => setOwn(out, key, v), target: live, patch: value });
      }
    } else if (Array.isArray(p)) {
      // An array replaces, but its objects still lose their null members (RFC 7386 §2).
      const out = new Array<unknown>(p.length).fill(null);
      task.put(out);
      p.forEach((item, i) =>
        tasks.push({ put: v => (out[i] = v), target: undefined, patch: item }),
      );
    } else {
      task.put(p);
    }
  }
  return result.value;
}
