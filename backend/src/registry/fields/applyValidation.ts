import { goPrint, hasOwn, isObject } from './jsonValue';
import { pathToString } from './fieldSet';
import type { FieldNode } from './fieldSchema';
import { itemPathElement } from './typedValue';

/**
 * The checks kube-apiserver makes when it turns an applied configuration into a typed value
 * (structured-merge-diff's validation), with its messages: a field the schema does not
 * declare, a value of the wrong shape or scalar type, a keyed list item without its keys or
 * a duplicate item. Returns the first problem as `<path>: <what>`, or undefined.
 */
export function appliedObjectProblem(value: unknown, node: FieldNode): string | undefined {
  return check(value, node, []);
}

function check(value: unknown, node: FieldNode, path: string[]): string | undefined {
  const at = () => (path.length ? `${pathToString(path)}: ` : '');
  if (value === null) return undefined;
  switch (node.type) {
    case 'scalar': {
      const expected = node.scalarType;
      if (isObject(value) || Array.isArray(value)) {
        return `${at()}expected ${expected ?? 'scalar'}, got &value.valueUnstructured{Value:${goSyntax(value)}}`;
      }
      const actual =
        typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : 'numeric';
      if (expected && expected !== actual) {
        return `${at()}expected ${expected}, got &value.valueUnstructured{Value:${goSyntax(value)}}`;
      }
      return undefined;
    }
    case 'struct':
    case 'map': {
      if (!isObject(value)) return `${at()}expected map, got &{${goPrint(value)}}`;
      if (node.atomic && node.type === 'map') return undefined;
      for (const key of Object.keys(value)) {
        const childPath = [...path, `f:${key}`];
        let child: FieldNode;
        if (node.type === 'map') child = node.element;
        else if (hasOwn(node.fields, key)) child = node.fields[key]!;
        else if (node.preserveUnknownFields) continue;
        else return `${pathToString(childPath)}: field not declared in schema`;
        const problem = check(value[key], child, childPath);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'list': {
      if (!Array.isArray(value)) return `${at()}expected list, got &{${goPrint(value)}}`;
      if (node.listType === 'atomic') {
        for (const item of value) {
          const problem = check(item, node.element, path);
          if (problem) return problem;
        }
        return undefined;
      }
      const seen = new Set<string>();
      for (const [i, item] of value.entries()) {
        if (node.listType === 'map' && !isObject(item)) {
          return `${at()}element ${i}: associative list with keys may not have non-map elements`;
        }
        if (node.listType === 'map') {
          const missing = (node.keys ?? []).find(k => !hasOwn(item as Record<string, unknown>, k));
          if (missing !== undefined) {
            return `${at()}element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(missing)} (and doesn't have default value)`;
          }
        }
        const pe = itemPathElement(node, item, '');
        if (seen.has(pe)) return `${at()}duplicate entries for key ${pathToString([pe])}`;
        seen.add(pe);
        const problem = check(item, node.element, [...path, pe]);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Go's %#v of a decoded JSON value. */
function goSyntax(v: unknown): string {
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(', ')}}`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[string]interface {}{${keys.map(k => `${JSON.stringify(k)}:${goSyntax(v[k])}`).join(', ')}}`;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return v === null ? 'interface {}(nil)' : String(v);
}
