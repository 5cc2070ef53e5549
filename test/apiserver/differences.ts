/**
 * Everything the suite does not compare between kube-apiserver and the embedded server, in
 * one place, each with why. The normaliser (normalise.ts) applies exactly these rules and
 * nothing else; backend/README.md copies this list as the API server's deliberate
 * differences. Values listed here must differ (identities, clocks, storage revisions); a
 * behaviour difference belongs here only when matching it is impractical, and says so.
 */

/** Where a value sits in an observation. */
export interface ValueSite {
  caseName: string;
  /** Keys from the observation's root, e.g. ['create', 'body', 'metadata', 'uid']. */
  path: (string | number)[];
  /** The containers from the root down to the one holding the value. */
  ancestors: unknown[];
  value: unknown;
}

/** Replaces a value by a placeholder; `placeholder` numbers equal values alike within a case. */
export interface ValueRule {
  id: string;
  what: string;
  why: string;
  applies(site: ValueSite): boolean;
  replace(value: unknown, placeholder: (kind: string, value: string) => string): unknown;
}

/** Rewrites text (kubectl output, Status messages) wherever it appears. */
export interface TextRule {
  id: string;
  what: string;
  why: string;
  pattern: RegExp; // global
  replace(
    match: string,
    placeholder: (kind: string, value: string) => string,
    groups: string[],
  ): string;
}

const RFC3339 = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})\b/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const lastKey = (s: ValueSite) => s.path[s.path.length - 1];
const isCollection = (o: unknown) =>
  typeof o === 'object' && o !== null && ('items' in o || 'rows' in o || 'columnDefinitions' in o);

export const VALUE_RULES: ValueRule[] = [
  {
    id: 'uid',
    what: 'metadata.uid (and details.uid) values',
    why: 'random per object on each server; equal uids within a case stay equal after normalising',
    applies: s => lastKey(s) === 'uid' && typeof s.value === 'string',
    replace: (v, ph) => ph('uid', String(v)),
  },
  {
    id: 'collection-resourceVersion',
    what: "a list's (or Table's) metadata.resourceVersion",
    why: "kube-apiserver answers with etcd's current revision, which every write anywhere in etcd moves (including kube-apiserver's own leases); only its presence is compared",
    applies: s =>
      lastKey(s) === 'resourceVersion' &&
      s.path[s.path.length - 2] === 'metadata' &&
      isCollection(s.ancestors[s.ancestors.length - 2]),
    replace: () => '<list-rv>',
  },
  {
    id: 'bookmark-resourceVersion',
    what: "a BOOKMARK event's resourceVersion",
    why: 'a bookmark carries the current revision of the whole store, moved by writes outside the case',
    applies: s => lastKey(s) === 'resourceVersion' && s.path.includes('bookmark'),
    replace: () => '<bookmark-rv>',
  },
  {
    id: 'resourceVersion',
    what: 'object resourceVersion values',
    why: 'revisions of two different stores; replaced by the order in which each value first appears in a case, so "unchanged", "changed" and "same as that event" are still compared',
    applies: s => lastKey(s) === 'resourceVersion' && typeof s.value === 'string' && s.value !== '',
    replace: (v, ph) => ph('rv', String(v)),
  },
  {
    id: 'continue',
    what: 'list continue tokens',
    why: 'opaque by contract (kube encodes an etcd key and revision); presence and what the next page holds are compared',
    applies: s => lastKey(s) === 'continue' && typeof s.value === 'string' && s.value !== '',
    replace: () => '<continue>',
  },
  {
    id: 'decoder-messages',
    what: 'the message of a refusal of a body that does not parse (malformed JSON or YAML, a JSON patch that is not JSON, another kind of object at a core resource URL)',
    why: "kube-apiserver's message quotes Go's JSON/YAML decoders and its conversion scheme (and a hex dump of the body); a TypeScript server cannot word a parser's error the same way. Code and reason are compared",
    applies: s =>
      s.path.includes('decoder') &&
      s.path[s.path.length - 1] === 'message' &&
      typeof s.value === 'string',
    replace: () => '<decoder message>',
  },
  {
    id: 'any-refusal',
    what: 'the code of a server-side apply of a body nested 5000 deep (an unknown field)',
    why: "kube-apiserver answers 500 InternalError there (its apply machinery fails on the depth); answering a client's extreme but well-formed body with a server error is not worth copying, so only that both refuse (4xx or 5xx) is compared",
    applies: s =>
      s.path.includes('anyRefusal') &&
      (s.path[s.path.length - 1] === 'code' || s.path[s.path.length - 1] === 'reason'),
    replace: v => (typeof v === 'number' ? (v >= 400 ? 'refused' : v) : '<reason>'),
  },
  {
    id: 'invalid-message-order',
    what: 'the bracketed list in the message of a 422 with several causes ("X is invalid: [a, b]")',
    why: 'the list is the causes in the order kube-apiserver collected them (Go map order, see causes-order); the causes themselves are compared, sorted, so the message is compared up to "is invalid:"',
    applies: s =>
      s.path[s.path.length - 1] === 'message' &&
      typeof s.value === 'string' &&
      / is invalid: \[/.test(s.value),
    replace: v =>
      `${String(v).slice(0, String(v).indexOf(' is invalid: ['))} is invalid: [<causes>]`,
  },
  {
    id: 'age',
    what: 'Age cells of tables (kubectl get, Table rows)',
    why: 'the time since creation; depends on when each server ran the case. Column and presence are compared',
    applies: s =>
      typeof s.value === 'string' &&
      (s.path.includes('cells') || s.path.includes('table')) &&
      /^(\d+[smhdy])+$/.test(s.value),
    replace: () => '<age>',
  },
  {
    id: 'version-values',
    what: 'the values of /version (gitVersion, gitCommit, buildDate, goVersion, platform...)',
    why: 'the embedded server reports its own build; the shape (keys and types) is compared',
    applies: s =>
      s.caseName.startsWith('discovery: /version') &&
      s.path.includes('version') &&
      typeof s.value === 'string',
    replace: () => '<string>',
  },
];

/** Puts an array whose order carries no meaning the server guarantees into a fixed order. */
export interface OrderRule {
  id: string;
  what: string;
  why: string;
  applies(site: ValueSite): boolean;
  compare(a: unknown, b: unknown): number;
}

const sortKey = (e: unknown) => {
  const m = e as { operation?: string; manager?: string; subresource?: string };
  return `${m.operation ?? ''}\u0000${m.manager ?? ''}\u0000${m.subresource ?? ''}`;
};

const causeKey = (c: unknown) => {
  const m = c as { field?: string; reason?: string; message?: string };
  return `${m.field ?? ''}\u0000${m.reason ?? ''}\u0000${m.message ?? ''}`;
};

export const ORDER_RULES: OrderRule[] = [
  {
    id: 'discovery-order',
    what: 'the order of resources in discovery documents (APIResourceList, aggregated discovery)',
    why: 'kube-apiserver lists CRD-served resources in the order its CRD informer happens to deliver them, which changes from start to start; compared sorted by name',
    applies: s =>
      s.path[s.path.length - 1] === 'resources' &&
      Array.isArray(s.value) &&
      s.value.every(
        r =>
          typeof (r as { name?: unknown; resource?: unknown }).name === 'string' ||
          typeof (r as { resource?: unknown }).resource === 'string',
      ),
    compare: (a, b) => {
      const key = (r: unknown) =>
        String(
          (r as { name?: string; resource?: string }).name ?? (r as { resource?: string }).resource,
        );
      return key(a).localeCompare(key(b));
    },
  },
  {
    id: 'managedFields-order',
    what: 'the order of metadata.managedFields entries',
    why: 'kube-apiserver sorts entries by operation, then by their time (whole seconds), then by manager, so two managers writing within one second or across a second boundary swap places from run to run; entries are compared sorted by operation, manager and subresource',
    applies: s => s.path[s.path.length - 1] === 'managedFields' && Array.isArray(s.value),
    compare: (a, b) => sortKey(a).localeCompare(sortKey(b)),
  },
  {
    id: 'causes-order',
    what: 'the order of details.causes in a 422 Invalid with several causes',
    why: 'kube-apiserver collects schema errors of a custom resource in Go map order: the same request gave [spec.gateway, spec.board] and [spec.board, spec.gateway] on two runs; compared sorted by field, reason and message',
    applies: s => s.path[s.path.length - 1] === 'causes' && Array.isArray(s.value),
    compare: (a, b) => causeKey(a).localeCompare(causeKey(b)),
  },
];

export const TEXT_RULES: TextRule[] = [
  {
    id: 'timestamps',
    what: 'RFC 3339 times the servers set (creationTimestamp, deletionTimestamp, managedFields time)',
    why: "clocks; their presence is compared. Times the cases write themselves are all in 2020 and are compared exactly (a server must keep a client's time, microseconds included)",
    pattern: RFC3339,
    replace: m => (m.startsWith('2020-') ? m : '<time>'),
  },
  {
    id: 'uid-text',
    what: 'uids quoted in messages (e.g. a failed uid precondition)',
    why: "random per object; numbered like metadata.uid so a message naming the object's own uid still matches",
    pattern: UUID,
    replace: (m, ph) => ph('uid', m),
  },
  {
    id: 'server-address',
    what: 'the server address (https://127.0.0.1:PORT) in kubectl output',
    why: 'each server listens on its own free port',
    pattern: /https:\/\/127\.0\.0\.1:\d+/g,
    replace: () => '<server>',
  },
  {
    id: 'generated-name',
    what: 'the random 5-character suffix of names made from the cases\' generateName prefixes ("gen-", "UPPER-")',
    why: "random; the case checks the suffix has five characters of kube's alphabet on both",
    pattern: /\b(?:gen|UPPER)-[a-z0-9]{5}\b/g,
    replace: (m, ph) => `${m.slice(0, -5)}${ph('name', m)}`,
  },
  {
    id: 'resourceVersion-text',
    what: 'resourceVersion values inside text (kubectl -o yaml, kubectl describe, a failed resourceVersion precondition)',
    why: 'revisions of two different stores; numbered like metadata.resourceVersion',
    pattern:
      /(resourceVersion: "|Resource Version: +|ResourceVersion in the precondition \(|ResourceVersion in record \()(\d+)/g,
    replace: (_m, ph, groups) => `${groups[0]}${ph('rv', groups[1]!)}`,
  },
  {
    id: 'too-old-resource-version',
    what: 'the revisions in "too old resource version: A (B)"',
    why: 'B is the oldest revision the server still holds, a property of its store',
    pattern: /too old resource version: \d+ \(\d+\)/g,
    replace: () => 'too old resource version: <rv> (<oldest-rv>)',
  },
];
