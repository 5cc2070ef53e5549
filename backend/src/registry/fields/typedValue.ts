import type { ApiError } from '../types';
import { serverError } from './status';
import {
  canonicalJson,
  deepClone,
  deepEqual,
  hasOwn,
  isObject,
  setOwn,
  type JsonObject,
} from './jsonValue';
import { FieldSet } from './fieldSet';
import { UNTYPED, type FieldNode } from './fieldSchema';

/**
 * The four walks field management needs over a JSON value and its FieldNode: the set of
 * fields a value sets, the difference between two values, the merge of an applied
 * configuration into a live object, and the removal of a set of fields. They follow
 * structured-merge-diff's semantics (the library kube-apiserver uses), including its
 * corner cases, because the resulting managedFields and objects are compared with kube's.
 */

type Shape = 'leaf' | 'map' | 'list';

function shapeOf(node: FieldNode, v: unknown): Shape {
  switch (node.type) {
    case 'struct':
    case 'map':
      if (node.atomic) return 'leaf';
      return Array.isArray(v) || (v !== null && v !== undefined && !isObject(v)) ? 'leaf' : 'map';
    case 'list':
      if (node.listType === 'atomic') return 'leaf';
      return v === null || v === undefined || Array.isArray(v) ? 'list' : 'leaf';
    case 'untyped':
      return isObject(v) ? 'map' : 'leaf';
    default:
      return 'leaf';
  }
}

/** One shape for both sides; a change of shape (or any atomic value) is a leaf. */
function commonShape(node: FieldNode, l: unknown, r: unknown): Shape {
  const sl = l === undefined ? undefined : shapeOf(node, l);
  const sr = r === undefined ? undefined : shapeOf(node, r);
  if (sl && sr && sl !== sr) return 'leaf';
  return sl ?? sr ?? 'leaf';
}

function isEmptyComposite(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

export function childNode(node: FieldNode, key: string): FieldNode {
  if (node.type === 'struct') return hasOwn(node.fields, key) ? node.fields[key]! : UNTYPED;
  if (node.type === 'map') return node.element;
  return UNTYPED;
}

export function isNamedField(node: FieldNode, key: string): boolean {
  return node.type === 'struct' && hasOwn(node.fields, key);
}

/** The node under a path element (for sets, which may name fields the schema lacks). */
function nodeAt(node: FieldNode, pe: string): FieldNode {
  if (pe.startsWith('f:')) return childNode(node, pe.slice(2));
  if (node.type === 'list') return node.element;
  return UNTYPED;
}

function invalid(message: string): ApiError {
  return serverError(message);
}

/** The path element naming a list item: `k:{...}` by its key fields, `v:...` by its value. */
export function itemPathElement(node: FieldNode, item: unknown, at: string): string {
  if (node.type !== 'list' || node.listType === 'atomic') {
    throw invalid(`${at}: invalid indexing of non-associative list`);
  }
  if (node.listType === 'set') return `v:${canonicalJson(item)}`;
  if (!isObject(item))
    throw invalid(`${at}: associative list with keys has an element that is not a map`);
  const key: JsonObject = {};
  for (const k of [...(node.keys ?? [])].sort()) {
    if (!hasOwn(item, k)) {
      throw invalid(
        `${at}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`,
      );
    }
    setOwn(key, k, item[k]);
  }
  return `k:${canonicalJson(key)}`;
}

function indexItems(node: FieldNode, list: unknown[], at: string, refuseDuplicates: boolean) {
  const pes: string[] = [];
  const byPe = new Map<string, unknown>();
  for (const item of list) {
    const pe = itemPathElement(node, item, at);
    if (byPe.has(pe) && refuseDuplicates) {
      throw invalid(`${at}: duplicate entries for key ${pe.slice(2)}`);
    }
    pes.push(pe);
    byPe.set(pe, item);
  }
  return { pes, byPe };
}

/** The fields a value sets (structured-merge-diff's ToFieldSet). */
export function toFieldSet(value: unknown, node: FieldNode): FieldSet {
  const out = new FieldSet();
  collect(value, node, [], out);
  return out;
}

function collect(value: unknown, node: FieldNode, path: string[], out: FieldSet): void {
  const shape = shapeOf(node, value);
  if (shape === 'leaf') {
    out.insert(path);
  } else if (shape === 'map' && isObject(value)) {
    for (const key of Object.keys(value)) {
      const child = value[key];
      const childPath = [...path, `f:${key}`];
      collect(child, childNode(node, key), childPath, out);
      if (child === null || (isObject(child) && Object.keys(child).length === 0)) {
        out.insert(childPath);
      } else if (!isNamedField(node, key)) {
        out.insert(childPath);
      }
    }
  } else if (shape === 'list' && Array.isArray(value) && node.type === 'list') {
    for (const item of value) {
      const itemPath = [...path, itemPathElement(node, item, path.join(''))];
      collect(item, node.element, itemPath, out);
      out.insert(itemPath);
    }
  }
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs`, field by field (structured-merge-diff's Compare). */
export function compare(lhs: unknown, rhs: unknown, node: FieldNode): Comparison {
  const out = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(lhs, rhs, node, [], out);
  return out;
}

function compareAt(l: unknown, r: unknown, node: FieldNode, path: string[], out: Comparison): void {
  const shape = commonShape(node, l, r);
  if (shape === 'leaf' || (isEmptyComposite(l) && isEmptyComposite(r))) {
    if (l === undefined) {
      if (r !== undefined) out.added.insert(path);
    } else if (r === undefined) {
      out.removed.insert(path);
    } else if (!deepEqual(l, r)) {
      out.modified.insert(path);
    }
    return;
  }
  if (shape === 'map') {
    const lm = isObject(l) ? l : {};
    const rm = isObject(r) ? r : {};
    const keys = new Set([...Object.keys(lm), ...Object.keys(rm)]);
    for (const key of keys) {
      compareAt(
        hasOwn(lm, key) ? lm[key] : undefined,
        hasOwn(rm, key) ? rm[key] : undefined,
        childNode(node, key),
        [...path, `f:${key}`],
        out,
      );
    }
  } else if (node.type === 'list') {
    const at = path.join('');
    const li = indexItems(node, Array.isArray(l) ? l : [], at, false);
    const ri = indexItems(node, Array.isArray(r) ? r : [], at, false);
    for (const pe of ri.pes)
      compareAt(li.byPe.get(pe), ri.byPe.get(pe), node.element, [...path, pe], out);
    for (const pe of li.pes) {
      if (!ri.byPe.has(pe)) compareAt(li.byPe.get(pe), undefined, node.element, [...path, pe], out);
    }
  }
  if (l === undefined) out.added.insert(path);
  else if (r === undefined) out.removed.insert(path);
}

/**
 * The applied configuration `rhs` merged into the live value `lhs`: maps merge key by key,
 * associative lists item by item (the configuration's order for the items it names, live-only
 * items kept where they were), atomic values and scalars are replaced.
 */
export function merge(lhs: unknown, rhs: unknown, node: FieldNode, path: string[] = []): unknown {
  if (rhs === undefined) return lhs;
  if (lhs === undefined) {
    // Still validate the configuration's list keys (duplicates, missing keys).
    if (node.type === 'list' && node.listType !== 'atomic' && Array.isArray(rhs)) {
      indexItems(node, rhs, path.join(''), true);
    }
    return deepClone(rhs);
  }
  const shape = commonShape(node, lhs, rhs);
  if (shape === 'leaf' || (isEmptyComposite(lhs) && isEmptyComposite(rhs))) return deepClone(rhs);
  if (shape === 'map') {
    const lm = isObject(lhs) ? lhs : {};
    const rm = isObject(rhs) ? rhs : {};
    const out: JsonObject = {};
    for (const key of new Set([...Object.keys(lm), ...Object.keys(rm)])) {
      const merged = merge(
        hasOwn(lm, key) ? lm[key] : undefined,
        hasOwn(rm, key) ? rm[key] : undefined,
        childNode(node, key),
        [...path, `f:${key}`],
      );
      if (merged !== undefined) setOwn(out, key, merged);
    }
    return out;
  }
  if (node.type !== 'list') return deepClone(rhs);
  return mergeList(Array.isArray(lhs) ? lhs : [], Array.isArray(rhs) ? rhs : [], node, path);
}

function mergeList(
  lhs: unknown[],
  rhs: unknown[],
  node: FieldNode & { type: 'list' },
  path: string[],
) {
  const at = path.join('');
  const r = indexItems(node, rhs, at, true);
  const l = indexItems(node, lhs, at, false);
  const shared = r.pes.filter(pe => l.byPe.has(pe));
  let next = 0; // index into `shared` of the next shared item due
  const mergedFromRhs = new Set<string>();
  const out: unknown[] = [];
  const mergeItem = (pe: string, lv: unknown, rv: unknown) =>
    merge(lv, rv, node.element, [...path, pe]);

  let li = 0;
  let ri = 0;
  while (li < l.pes.length || ri < r.pes.length) {
    if (li < l.pes.length && ri < r.pes.length) {
      const pe = l.pes[li]!;
      if (pe === r.pes[ri]) {
        mergedFromRhs.add(pe);
        out.push(mergeItem(pe, l.byPe.get(pe), r.byPe.get(pe)));
        li++;
        ri++;
        next++;
        continue;
      }
      // A shared item not yet due: it will be emitted where the configuration places it.
      if (r.byPe.has(pe) && next < shared.length && shared[next] !== pe) {
        li++;
        continue;
      }
    }
    if (li < l.pes.length) {
      const pe = l.pes[li]!;
      if (!r.byPe.has(pe)) {
        out.push(mergeItem(pe, lhs[li], undefined));
        li++;
        continue;
      } else if (mergedFromRhs.has(pe)) {
        li++;
      }
    }
    if (ri < r.pes.length) {
      const pe = r.pes[ri]!;
      mergedFromRhs.add(pe);
      out.push(mergeItem(pe, l.byPe.get(pe), r.byPe.get(pe)));
      ri++;
      if (next < shared.length && shared[next] === pe) next++;
    }
  }
  return out;
}

/**
 * The value without the paths of `set` (a removed map key or list item takes its subtree
 * with it). Like structured-merge-diff, a map or list left with nothing becomes null.
 */
export function removeItems(value: unknown, set: FieldSet, node: FieldNode): unknown {
  const shape = shapeOf(node, value);
  if (shape === 'map') {
    if (!isObject(value) || Object.keys(value).length === 0) return null;
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const pe = `f:${key}`;
      if (set.members.has(pe)) continue;
      const sub = set.child(pe);
      setOwn(out, key, sub ? removeItems(value[key], sub, childNode(node, key)) : value[key]);
    }
    return Object.keys(out).length > 0 ? out : null;
  }
  if (shape === 'list' && node.type === 'list') {
    if (!Array.isArray(value) || value.length === 0) return null;
    const out: unknown[] = [];
    for (const item of value) {
      const pe = itemPathElement(node, item, '');
      if (set.members.has(pe)) continue;
      const sub = set.child(pe);
      out.push(sub ? removeItems(item, sub, node.element) : item);
    }
    return out.length > 0 ? out : null;
  }
  if (node.type === 'scalar' || node.type === 'untyped') return value;
  // An atomic list or map is never descended into: removing below it leaves nothing.
  return null;
}

/**
 * Adds, as members, the struct fields that have owned fields below them: owning
 * `.spec.board` means owning `.spec` too when deciding what to prune.
 */
export function ensureNamedFieldsAreMembers(set: FieldSet, node: FieldNode): FieldSet {
  const out = new FieldSet();
  for (const m of set.members) out.members.add(m);
  for (const [pe, c] of set.children) {
    if (pe.startsWith('f:') && isNamedField(node, pe.slice(2))) out.members.add(pe);
    out.children.set(pe, ensureNamedFieldsAreMembers(c, nodeAt(node, pe)));
  }
  return out;
}
