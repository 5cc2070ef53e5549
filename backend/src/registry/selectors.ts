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

/**
 * A port of the grammar of k8s.io/apimachinery/pkg/labels (lexer + recursive descent), so a
 * malformed selector gets kube's message word for word.
 */
type Tok =
  | 'ident'
  | 'in'
  | 'notin'
  | '!'
  | '='
  | '=='
  | '!='
  | '('
  | ')'
  | ','
  | '>'
  | '<'
  | 'eos'
  | 'error';

const SYMBOLS = new Set(['!', '=', '==', '!=', '(', ')', ',', '>', '<']);
const SPECIAL = /[=!(),><]/;

function scan(text: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (SPECIAL.test(ch)) {
      let buffer = '';
      let last: string | undefined;
      while (i < text.length && SPECIAL.test(text[i]!)) {
        buffer += text[i];
        if (SYMBOLS.has(buffer)) {
          last = buffer;
          i++;
        } else if (last !== undefined) break;
        else i++;
      }
      if (last === undefined)
        out.push({ tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      else out.push({ tok: last as Tok, lit: last });
    } else {
      let word = '';
      while (i < text.length && !/\s/.test(text[i]!) && !SPECIAL.test(text[i]!)) word += text[i++];
      out.push({ tok: word === 'in' ? 'in' : word === 'notin' ? 'notin' : 'ident', lit: word });
    }
  }
  out.push({ tok: 'eos', lit: '' });
  return out;
}

class Lexer {
  private readonly tokens: { tok: Tok; lit: string }[];
  private pos = 0;
  constructor(text: string) {
    this.tokens = scan(text);
  }

  /** In value position the keywords in/notin are plain identifiers (kube's Values mode). */
  private peek(values = true): { tok: Tok; lit: string } {
    const t = this.tokens[this.pos] ?? { tok: 'eos' as Tok, lit: '' };
    return values && (t.tok === 'in' || t.tok === 'notin') ? { tok: 'ident', lit: t.lit } : t;
  }

  private next(values = true): { tok: Tok; lit: string } {
    const t = this.peek(values);
    if (this.pos < this.tokens.length) this.pos++;
    return t;
  }

  parse(): Requirement[] {
    const out: Requirement[] = [];
    for (;;) {
      const { tok, lit } = this.peek();
      if (tok === 'eos') return out;
      if (tok !== 'ident' && tok !== '!') {
        throw badRequest(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      out.push(this.requirement());
      const after = this.next();
      if (after.tok === 'eos') return out;
      if (after.tok !== ',')
        throw badRequest(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.tok !== 'ident' && following.tok !== '!') {
        throw badRequest(`found '${following.lit}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): Requirement {
    let t = this.next();
    let negated = false;
    if (t.tok === '!') {
      negated = true;
      t = this.next();
    }
    if (t.tok !== 'ident') this.fail(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    if (key.length > 316 || !KEY.test(key)) this.fail(`invalid label key "${key}"`);
    const ahead = this.peek().tok;
    if (ahead === 'eos' || ahead === ',') return { key, op: negated ? '!' : 'exists' };
    if (negated) this.fail(`found '${this.peek().lit}', expected: ',' or 'end of string'`);
    const op = this.next(false);
    switch (op.tok) {
      case 'in':
      case 'notin':
        return { key, op: op.tok, values: this.setValues(key) };
      case '=':
      case '==':
        return { key, op: 'in', values: [this.exactValue(key)] };
      case '!=':
        return { key, op: 'notin', values: [this.exactValue(key)] };
      case '>':
      case '<':
        return this.fail(`for 'Gt', 'Lt' operators, exactly one value is required`);
      default:
        return this.fail(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(key: string): string {
    const ahead = this.peek();
    if (ahead.tok === 'eos' || ahead.tok === ',') return '';
    const t = this.next();
    if (t.tok !== 'ident') this.fail(`found '${t.lit}', expected: identifier`);
    return this.checkValue(key, t.lit);
  }

  private setValues(key: string): string[] {
    const open = this.next();
    if (open.tok !== '(') this.fail(`found '${open.lit}' expected: '('`);
    const first = this.peek();
    if (first.tok === ')') {
      this.next();
      return [''];
    }
    if (first.tok !== 'ident' && first.tok !== ',') {
      this.fail(`found '${first.lit}', expected: ',', ')' or identifier`);
    }
    const values = new Set<string>();
    for (;;) {
      const t = this.next();
      if (t.tok === 'ident') {
        values.add(this.checkValue(key, t.lit));
        const after = this.peek();
        if (after.tok === ',') continue;
        if (after.tok === ')') break;
        this.fail(`found '${after.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (values.size === 0) values.add('');
        const after = this.peek();
        if (after.tok === ')') {
          values.add('');
          break;
        }
        if (after.tok === ',') {
          this.next();
          values.add('');
        }
      } else {
        this.fail(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
    const close = this.next();
    if (close.tok !== ')') this.fail(`found '${close.lit}', expected: ')'`);
    return [...values];
  }

  private checkValue(key: string, value: string): string {
    if (value.length > 63 || !VALUE.test(value)) {
      this.fail(`invalid label value: "${value}": at key: "${key}"`);
    }
    return value;
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

const DEFAULT_CONVERSION = new Set(['ConfigMap', 'Lease']);

export function parseFieldSelector(text: string | undefined, kind: string): FieldSelector {
  if (text === undefined || text.trim() === '') return { matches: () => true, empty: true };
  const terms: { field: string; value: string; equal: boolean }[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1]!;
    const allowed = ['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])];
    if (!allowed.includes(field)) {
      // Kinds with their own field-label conversion (custom resources, Secret, Event,
      // Namespace) and those on kube's default one (ConfigMap, Lease) word it differently.
      throw badRequest(
        DEFAULT_CONVERSION.has(kind)
          ? `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`
          : `field label not supported: ${field}`,
      );
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
