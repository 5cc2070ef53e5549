import { badRequest } from './errors';
import type { KubeObject } from './types';

/**
 * Label and field selectors in the query-string syntax kube-apiserver accepts
 * (`k8s.io/apimachinery/pkg/labels` and `pkg/fields`).
 */

type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!' };

export interface LabelSelector {
  matches(labels: Record<string, string> | undefined): boolean;
  empty: boolean;
}

const MATCH_ALL: LabelSelector = { matches: () => true, empty: true };

/** Parses `a=b,c!=d,e in (f,g),!h,i`; throws 400 BadRequest for a malformed selector. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  if (text === undefined || text.trim() === '') return MATCH_ALL;
  const requirements = new Lexer(text).parse();
  return {
    empty: false,
    matches: labels => requirements.every(r => matchRequirement(r, labels ?? {})),
  };
}

function matchRequirement(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'in':
      return has && r.values.includes(labels[r.key]!);
    case 'notin':
      return !has || !r.values.includes(labels[r.key]!);
  }
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

class Lexer {
  private pos = 0;
  constructor(private readonly text: string) {}

  parse(): Requirement[] {
    const out: Requirement[] = [];
    for (;;) {
      out.push(this.requirement());
      this.skipSpace();
      if (this.pos >= this.text.length) return out;
      if (this.text[this.pos] !== ',') this.fail(`found '${this.text[this.pos]}', expected: ','`);
      this.pos++;
    }
  }

  private requirement(): Requirement {
    this.skipSpace();
    if (this.text[this.pos] === '!') {
      this.pos++;
      return { key: this.key(), op: '!' };
    }
    const key = this.key();
    this.skipSpace();
    const rest = this.text.slice(this.pos);
    if (this.pos >= this.text.length || rest.startsWith(',')) return { key, op: 'exists' };
    if (rest.startsWith('==')) return this.single(key, 2, 'in');
    if (rest.startsWith('!=')) return this.single(key, 2, 'notin');
    if (rest.startsWith('=')) return this.single(key, 1, 'in');
    const word = /^(in|notin)\s*\(/.exec(rest);
    if (word) {
      this.pos += word[0].length;
      const values: string[] = [];
      for (;;) {
        this.skipSpace();
        const value = this.value();
        values.push(value);
        this.skipSpace();
        const c = this.text[this.pos++];
        if (c === ')') break;
        if (c !== ',') this.fail(`found '${c ?? ''}', expected: ',', or ')'`);
      }
      return { key, op: word[1] as 'in' | 'notin', values };
    }
    return this.fail(`found '${rest[0]}', expected: in, notin, =, ==, !=, gt, lt`);
  }

  private single(key: string, width: number, op: 'in' | 'notin'): Requirement {
    this.pos += width;
    this.skipSpace();
    return { key, op, values: [this.value()] };
  }

  private key(): string {
    this.skipSpace();
    const m = /^[^\s,=!()]+/.exec(this.text.slice(this.pos));
    if (!m) return this.fail('found end of string, expected: identifier');
    this.pos += m[0].length;
    if (!KEY.test(m[0]) || m[0].length > 316) this.fail(`invalid label key "${m[0]}"`);
    return m[0];
  }

  private value(): string {
    const m = /^[^\s,=!()]*/.exec(this.text.slice(this.pos))!;
    this.pos += m[0].length;
    if (!VALUE.test(m[0]) || m[0].length > 63) this.fail(`invalid label value: "${m[0]}"`);
    return m[0];
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private fail(why: string): never {
    throw badRequest(`unable to parse requirement: ${why}`);
  }
}

export interface FieldSelector {
  matches(object: KubeObject): boolean;
  /** Set when the selector pins one name (a watch of one object, as kubectl get NAME -w does). */
  name?: string;
  namespace?: string;
  empty: boolean;
}

/**
 * Field selectors: for custom resources kube-apiserver supports only metadata.name and
 * metadata.namespace (and the CRD's selectableFields, which ours do not declare); the core
 * kinds' extra fields are listed per kind.
 */
const EXTRA_FIELDS: Record<string, string[]> = {
  Secret: ['type'],
  Namespace: ['status.phase'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
};

export function parseFieldSelector(text: string | undefined, kind: string): FieldSelector {
  if (text === undefined || text.trim() === '') return { matches: () => true, empty: true };
  const terms: { field: string; value: string; equal: boolean }[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1]!;
    const allowed = ['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])];
    if (!allowed.includes(field)) {
      throw badRequest(`field label not supported: ${field}`);
    }
    terms.push({ field, value: m[3]!, equal: m[2] !== '!=' });
  }
  const pinned = (f: string) => terms.find(t => t.field === f && t.equal)?.value;
  return {
    empty: false,
    name: pinned('metadata.name'),
    namespace: pinned('metadata.namespace'),
    matches: object => terms.every(t => (fieldValue(object, t.field) === t.value) === t.equal),
  };
}

function fieldValue(object: KubeObject, path: string): string {
  if (path === 'source') {
    const source = object.source as { component?: string } | undefined;
    return source?.component ?? '';
  }
  let node: unknown = object;
  for (const part of path.split('.')) {
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node === undefined || node === null ? '' : String(node);
}
