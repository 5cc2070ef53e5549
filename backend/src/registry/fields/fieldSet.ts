import { isObject } from './jsonValue';

/**
 * A set of field paths, the unit of field ownership (structured-merge-diff's fieldpath.Set).
 *
 * A path element is written as in FieldsV1: `f:name` (a field or map key), `k:{"type":"Ready"}`
 * (an item of a list keyed by its key fields, keys sorted), `v:"x"` (an item of a set, by
 * value), `i:3` (an item by index). Members are the paths in the set at this level; children
 * hold the longer paths. A child is never empty.
 */
export class FieldSet {
  readonly members = new Set<string>();
  readonly children = new Map<string, FieldSet>();

  static of(paths: string[][]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: readonly string[]): void {
    if (path.length === 0) return; // the object itself is never a member
    if (path.length === 1) {
      this.members.add(path[0]!);
      return;
    }
    let next = this.children.get(path[0]!);
    if (!next) {
      next = new FieldSet();
      this.children.set(path[0]!, next);
    }
    next.insert(path.slice(1));
  }

  has(path: readonly string[]): boolean {
    if (path.length === 0) return false;
    if (path.length === 1) return this.members.has(path[0]!);
    return this.children.get(path[0]!)?.has(path.slice(1)) ?? false;
  }

  child(pe: string): FieldSet | undefined {
    return this.children.get(pe);
  }

  isEmpty(): boolean {
    return this.members.size === 0 && this.children.size === 0;
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of other.members) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      out.children.set(pe, o ? c.union(o) : c.clone());
    }
    for (const [pe, o] of other.children)
      if (!out.children.has(pe)) out.children.set(pe, o.clone());
    return out;
  }

  /** The paths of this set that are not paths of `other` (their children are other paths). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      const d = o ? c.difference(o) : c.clone();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  /** Drops the paths of `other` and every path below them (an exclude filter). */
  withoutPrefixes(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (other.members.has(pe)) continue;
      const o = other.children.get(pe);
      const d = o ? c.withoutPrefixes(o) : c.clone();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    if (this.members.size !== other.members.size || this.children.size !== other.children.size) {
      return false;
    }
    for (const m of this.members) if (!other.members.has(m)) return false;
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o || !c.equals(o)) return false;
    }
    return true;
  }

  clone(): FieldSet {
    return new FieldSet().union(this);
  }

  /** Every path, members of a level before its children, each level in path-element order. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = [];
    for (const m of sortPathElements([...this.members])) out.push([...prefix, m]);
    for (const pe of sortPathElements([...this.children.keys()])) {
      out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    }
    return out;
  }

  /**
   * The FieldsV1 form kube stores in managedFields: one key per path element in element
   * order, `{}` for a leaf, and `".": {}` first where a member also has children.
   */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = new Set([...this.members, ...this.children.keys()]);
    for (const pe of sortPathElements([...keys])) {
      const c = this.children.get(pe);
      if (!c) {
        out[pe] = {};
        continue;
      }
      const inner: Record<string, unknown> = this.members.has(pe) ? { '.': {} } : {};
      Object.assign(inner, c.toFieldsV1());
      out[pe] = inner;
    }
    return out;
  }

  /** Reads FieldsV1; throws on a shape that is not one (kube refuses such managedFields). */
  static fromFieldsV1(fields: unknown): FieldSet {
    if (!isObject(fields)) throw new Error('FieldsV1 is not an object');
    const out = new FieldSet();
    for (const key of Object.keys(fields)) {
      if (key === '.') continue;
      if (!/^[fkvi]:/.test(key)) throw new Error(`unknown path element ${JSON.stringify(key)}`);
      const value = fields[key];
      if (!isObject(value)) throw new Error(`FieldsV1 ${key} is not an object`);
      const keys = Object.keys(value);
      if (keys.length === 0 || keys.includes('.')) out.members.add(key);
      const child = FieldSet.fromFieldsV1(value);
      if (!child.isEmpty()) out.children.set(key, child);
    }
    return out;
  }
}

const KIND_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** structured-merge-diff's order: field names, then keyed items, then set values, then indices. */
export function comparePathElements(a: string, b: string): number {
  const ka = KIND_ORDER[a[0]!] ?? 4;
  const kb = KIND_ORDER[b[0]!] ?? 4;
  if (ka !== kb) return ka - kb;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortPathElements(pes: string[]): string[] {
  return pes.sort(comparePathElements);
}

/** A path as kube prints it in conflict messages: `.spec.board`, `.status.conditions[type="Ready"]`. */
export function pathToString(path: readonly string[]): string {
  return path
    .map(pe => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const key = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.keys(key)
            .map(k => `${k}=${valueToString(key[k])}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${valueToString(JSON.parse(body))}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

function valueToString(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
