import type { DeleteOptions, ListOptions, RequestContext, WatchOptions } from '../registry/types';
import { badRequest, failure } from './status';
import { ApiError } from '../registry/types';

/**
 * Query parameters of resource requests, checked as kube-apiserver checks them: a value it
 * cannot convert is 400 BadRequest; an option whose value is not allowed is 422 Invalid on
 * the options kind (e.g. `CreateOptions.meta.k8s.io "" is invalid: dryRun...`).
 */
export class Query {
  constructor(private readonly params: URLSearchParams) {}

  string(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  all(name: string): string[] {
    return this.params.getAll(name);
  }

  /** An options boolean as kube's query conversion reads it: "0" and "false" are false, anything else true. */
  bool(name: string): boolean | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    return !(v === '0' || v.toLowerCase() === 'false');
  }

  /** Whether `watch` asks for a watch, as kube's request routing reads it (Go's ParseBool; anything else is a list). */
  watchRequested(): boolean {
    const v = this.params.get('watch');
    return v !== null && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
  }

  int(name: string): number | undefined {
    const v = this.params.get(name);
    if (v === null || v === '') return undefined;
    if (!/^[-+]?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
    }
    return Number(v);
  }
}

export interface OptionCause {
  reason:
    'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueTooLong';
  field: string;
  message: string;
}

/** 422 Invalid on an options kind, worded as field.ErrorList prints (one cause, or `[a, b]`). */
export function invalidOptions(optionsKind: string, causes: OptionCause[]): ApiError {
  const parts = causes.map(c => `${c.field}: ${c.message}`);
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(
    failure(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: ${list}`, {
      group: 'meta.k8s.io',
      kind: optionsKind,
      causes,
    }),
  );
}

function invalidOption(
  optionsKind: string,
  field: string,
  message: string,
  reason: OptionCause['reason'] = 'FieldValueNotSupported',
): ApiError {
  return invalidOptions(optionsKind, [{ reason, field, message }]);
}

function quoteList(values: string[]): string {
  return values.map(v => `"${v}"`).join(', ');
}

/** How Go prints a []string in validation messages: []string{"a", "b"}. */
function goStringSlice(values: string[]): string {
  return `[]string{${values.map(v => JSON.stringify(v)).join(', ')}}`;
}

export function dryRunOf(q: Query, optionsKind: string): boolean {
  const values = q.all('dryRun');
  if (values.some(v => v !== 'All')) {
    throw invalidOption(
      optionsKind,
      'dryRun',
      `Unsupported value: ${goStringSlice(values)}: supported values: "All"`,
    );
  }
  return values.length > 0;
}

export function fieldValidationOf(
  q: Query,
  optionsKind: string,
): RequestContext['fieldValidation'] {
  const v = q.string('fieldValidation');
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw invalidOption(
    optionsKind,
    'fieldValidation',
    `Unsupported value: "${v}": supported values: ${quoteList(['', 'Ignore', 'Strict', 'Warn'])}`,
  );
}

export function fieldManagerOf(q: Query, optionsKind: string): string | undefined {
  const v = q.string('fieldManager');
  if (v === undefined) return undefined;
  if (Buffer.byteLength(v) > 128) {
    throw invalidOption(
      optionsKind,
      'fieldManager',
      'Too long: may not be more than 128 bytes',
      'FieldValueTooLong',
    );
  }
  return v;
}

export function listOptionsOf(q: Query): ListOptions {
  const limit = q.int('limit');
  q.int('timeoutSeconds'); // converted (400 when not a number) even on a plain list, as kube does
  const match = q.string('resourceVersionMatch');
  const causes: OptionCause[] = [];
  if (match && !q.string('resourceVersion')) {
    causes.push({
      reason: 'FieldValueForbidden',
      field: 'resourceVersionMatch',
      message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    });
  }
  if (match && match !== 'Exact' && match !== 'NotOlderThan') {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'resourceVersionMatch',
      message: `Unsupported value: "${match}": supported values: ${quoteList(['Exact', 'NotOlderThan', ''])}`,
    });
  }
  if (causes.length > 0) throw invalidOptions('ListOptions', causes);
  const opts: ListOptions = {};
  const set = <K extends keyof ListOptions>(k: K, v: ListOptions[K] | undefined) => {
    if (v !== undefined && v !== '') opts[k] = v;
  };
  set('labelSelector', q.string('labelSelector'));
  set('fieldSelector', q.string('fieldSelector'));
  if (limit !== undefined && limit > 0) opts.limit = limit;
  set('continue', q.string('continue'));
  set('resourceVersion', q.string('resourceVersion'));
  set('resourceVersionMatch', match as ListOptions['resourceVersionMatch']);
  return opts;
}

export function watchOptionsOf(q: Query): WatchOptions {
  const opts: WatchOptions = {};
  const label = q.string('labelSelector');
  const field = q.string('fieldSelector');
  const rv = q.string('resourceVersion');
  if (label) opts.labelSelector = label;
  if (field) opts.fieldSelector = field;
  if (rv) opts.resourceVersion = rv;
  const bookmarks = q.bool('allowWatchBookmarks');
  if (bookmarks !== undefined) opts.allowWatchBookmarks = bookmarks;
  const initial = q.bool('sendInitialEvents');
  if (initial !== undefined) opts.sendInitialEvents = initial;
  const timeout = q.int('timeoutSeconds');
  if (timeout !== undefined && timeout > 0) opts.timeoutSeconds = timeout;
  return opts;
}

const PROPAGATION = ['Foreground', 'Background', 'Orphan'] as const;

export function deleteOptionsOf(q: Query, body: unknown): DeleteOptions {
  const fromBody = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const opts: DeleteOptions = {};
  const grace = q.int('gracePeriodSeconds') ?? fromBody.gracePeriodSeconds;
  if (typeof grace === 'number') opts.gracePeriodSeconds = grace;
  const policy = q.string('propagationPolicy') ?? fromBody.propagationPolicy;
  if (policy !== undefined && policy !== null && policy !== '') {
    if (!PROPAGATION.includes(policy as (typeof PROPAGATION)[number])) {
      throw invalidOption(
        'DeleteOptions',
        'propagationPolicy',
        `Unsupported value: "${String(policy)}": supported values: ${quoteList([...PROPAGATION, 'nil'])}`,
      );
    }
    opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  }
  const pre = fromBody.preconditions;
  if (pre && typeof pre === 'object') {
    const { uid, resourceVersion } = pre as Record<string, unknown>;
    opts.preconditions = {
      ...(typeof uid === 'string' ? { uid } : {}),
      ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
    };
  }
  return opts;
}
