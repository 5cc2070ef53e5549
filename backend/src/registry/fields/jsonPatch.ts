import {
  badRequest,
  patchNotApplicable,
  refuseDeepNesting,
  requestEntityTooLarge,
  strictDecodingError,
  type PatchOptions,
} from './status';
import {
  deepClone,
  deepEqual,
  goJsonTypeName,
  hasOwn,
  isObject,
  KUBE_DECODER_MAX_DEPTH,
  setOwn,
} from './jsonValue';

const OPERATION_FIELDS = new Set(['op', 'path', 'value', 'from']);

/** kube-apiserver refuses a JSON patch with more operations than this (413). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/**
 * Bound on the bytes `copy` operations may duplicate in one patch: without it a few hundred
 * copies of a doubling subtree would grow a small object past any memory.
 */
export const MAX_ACCUMULATED_COPY_BYTES = 3 * 1024 * 1024;

class NotApplicable extends Error {}

/**
 * JSON patch (RFC 6902) as kube-apiserver applies `application/json-patch+json`. A body that
 * is not a list of operation objects is a 400 BadRequest with the Go decoder's message; an
 * operation that cannot apply (failed `test`, missing path, bad index, unknown op) is kube's
 * fixed 422 Invalid. Like kube's patch library, a missing `value` means null and a negative
 * array index counts from the end.
 */
export function applyJsonPatch(target: unknown, ops: unknown, options: PatchOptions = {}): unknown {
  const validation = options.fieldValidation ?? 'Warn';
  // With field validation on, kube decodes the patch into its own operation type first, and
  // its decode errors name that type.
  const decodeError = (what: unknown, list: boolean) =>
    validation === 'Ignore'
      ? `json: cannot unmarshal ${goJsonTypeName(what)} into Go value of type jsonpatch.${list ? 'Patch' : 'Operation'}`
      : `error decoding patch: json: cannot unmarshal ${goJsonTypeName(what)} into Go value of type ${list ? '[]' : ''}handlers.jsonPatchOp`;
  // kube decodes the operations with its decoder's own limit: a value 5,000 deep is accepted
  // (and pruned later when the schema does not know it), so the bound here is that limit.
  refuseDeepNesting(ops, 'patch', KUBE_DECODER_MAX_DEPTH);
  refuseDeepNesting(target, 'object');
  if (ops === null) return deepClone(target);
  if (!Array.isArray(ops)) throw badRequest(decodeError(ops, true));
  for (const op of ops) {
    if (op !== null && !isObject(op)) throw badRequest(decodeError(op, false));
  }
  const unknownFields: string[] = [];
  if (validation !== 'Ignore') {
    ops.forEach((op: Record<string, unknown> | null, i) => {
      for (const key of Object.keys(op ?? {})) {
        if (!OPERATION_FIELDS.has(key))
          unknownFields.push(`json patch unknown field "[${i}].${key}"`);
      }
    });
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw requestEntityTooLarge(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  const doc = { root: deepClone(target) };
  let copiedBytes = 0;
  try {
    for (const op of ops as (Record<string, unknown> | null)[]) {
      const kind = op?.op;
      const path = op?.path;
      const value = op && hasOwn(op, 'value') ? op.value : null;
      if (typeof path !== 'string') throw new NotApplicable('operation missing path');
      switch (kind) {
        case 'add':
          add(doc, path, deepClone(value));
          break;
        case 'remove':
          remove(doc, path);
          break;
        case 'replace':
          remove(doc, path);
          add(doc, path, deepClone(value));
          break;
        case 'move': {
          const from = stringField(op, 'from');
          const moved = get(doc, from);
          remove(doc, from);
          add(doc, path, moved);
          break;
        }
        case 'copy': {
          const copied = deepClone(get(doc, stringField(op, 'from')));
          copiedBytes += JSON.stringify(copied)?.length ?? 4;
          if (copiedBytes > MAX_ACCUMULATED_COPY_BYTES) throw new NotApplicable('copy too large');
          add(doc, path, copied);
          break;
        }
        case 'test':
          test(doc, path, value);
          break;
        default:
          throw new NotApplicable(`Unexpected kind: ${String(kind)}`);
      }
    }
  } catch (e) {
    if (e instanceof NotApplicable) throw patchNotApplicable();
    // Operations can nest the document deeper than any body could (a move per level): a
    // walk that runs out of stack is that same refusal.
    if (e instanceof RangeError) refuseDeepNesting([[Infinity]], 'patch', 0);
    throw e;
  }
  refuseDeepNesting(doc.root, 'patch', KUBE_DECODER_MAX_DEPTH);
  if (unknownFields.length > 0) {
    if (validation === 'Strict') throw strictDecodingError(doc.root, unknownFields);
    options.warnings?.push(...unknownFields);
  }
  return doc.root;
}

function stringField(op: Record<string, unknown> | null, name: string): string {
  const v = op?.[name];
  if (typeof v !== 'string') throw new NotApplicable(`operation missing ${name}`);
  return v;
}

/** RFC 6901: `/a/b~1c` → ['a', 'b/c']. The root pointer "" has no parent to write into. */
function tokens(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new NotApplicable(`bad pointer ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map(t => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Doc = { root: unknown };

/** The container holding the pointer's last token, and that token. */
function parentOf(doc: Doc, pointer: string): { container: unknown; key: string } {
  const path = tokens(pointer);
  let container: unknown = doc.root;
  for (const key of path.slice(0, -1)) {
    container = child(container, key);
    if (container === undefined) throw new NotApplicable(`missing ${pointer}`);
  }
  return { container, key: path[path.length - 1]! };
}

function child(container: unknown, key: string): unknown {
  if (isObject(container)) return hasOwn(container, key) ? container[key] : undefined;
  if (Array.isArray(container)) {
    const i = arrayIndex(key, container.length);
    return i === undefined ? undefined : container[i];
  }
  return undefined;
}

/** Go's strconv.Atoi plus the library's negative indices; undefined when out of range. */
function arrayIndex(key: string, length: number): number | undefined {
  if (!/^[+-]?\d{1,15}$/.test(key)) return undefined;
  let i = Number(key);
  if (i < 0) i += length;
  return i >= 0 && i < length ? i : undefined;
}

function get(doc: Doc, pointer: string): unknown {
  const { container, key } = parentOf(doc, pointer);
  const v = child(container, key);
  if (v === undefined) throw new NotApplicable(`missing ${pointer}`);
  return v;
}

function add(doc: Doc, pointer: string, value: unknown): void {
  const { container, key } = parentOf(doc, pointer);
  if (isObject(container)) {
    setOwn(container, key, value);
  } else if (Array.isArray(container)) {
    if (key === '-') {
      container.push(value);
      return;
    }
    // Insertion may address one past the end.
    const i = arrayIndex(key, container.length + 1);
    if (i === undefined) throw new NotApplicable(`bad index ${key}`);
    container.splice(i, 0, value);
  } else {
    throw new NotApplicable(`missing ${pointer}`);
  }
}

function remove(doc: Doc, pointer: string): void {
  const { container, key } = parentOf(doc, pointer);
  if (isObject(container) && hasOwn(container, key)) {
    delete container[key];
  } else if (Array.isArray(container) && arrayIndex(key, container.length) !== undefined) {
    container.splice(arrayIndex(key, container.length)!, 1);
  } else {
    throw new NotApplicable(`missing ${pointer}`);
  }
}

/** As kube's library: a missing or null member only matches a null (or absent) value. */
function test(doc: Doc, pointer: string, value: unknown): void {
  const { container, key } = parentOf(doc, pointer);
  if (!isObject(container) && !Array.isArray(container)) {
    throw new NotApplicable(`missing ${pointer}`);
  }
  const actual = child(container, key);
  if (actual === undefined || actual === null) {
    if (value === null) return;
    throw new NotApplicable(`test failed at ${pointer}`);
  }
  if (!deepEqual(actual, value)) throw new NotApplicable(`test failed at ${pointer}`);
}
