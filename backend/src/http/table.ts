import type { KubeObject, ListJson, ResourceDescriptor } from '../registry/types';
import { ageCell } from './humanDuration';

/**
 * meta.k8s.io Table responses (what `kubectl get` asks for). The wasmbed.io kinds follow
 * kube-apiserver's CRD convertor (Name, then the CRD's printer columns evaluated by JSONPath;
 * dates as ages, a missing value as null). The core kinds follow kube's built-in printers,
 * whose cells are computed (ConfigMap DATA = number of keys), so each has its own row code.
 */

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

/** ObjectMeta's documentation of name and creationTimestamp, as kube puts it in column descriptions. */
const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

const column = (
  name: string,
  description: string,
  extra: Partial<ColumnDefinition> = {},
): ColumnDefinition => ({
  name,
  type: 'string',
  format: '',
  description,
  priority: 0,
  ...extra,
});
const nameColumn = column('Name', NAME_DESCRIPTION, { format: 'name' });
const ageColumn = column('Age', AGE_DESCRIPTION);

interface CoreTable {
  columns: ColumnDefinition[];
  cells(obj: KubeObject, now: Date): Cell[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const countKeys = (...maps: unknown[]) =>
  maps.reduce<number>((n, m) => n + (m && typeof m === 'object' ? Object.keys(m).length : 0), 0);
const age = (obj: KubeObject, now: Date) => ageCell(obj.metadata.creationTimestamp, now);

const CORE_TABLES: Record<string, CoreTable> = {
  Namespace: {
    columns: [nameColumn, column('Status', 'The status of the namespace'), ageColumn],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str((o.status as { phase?: unknown })?.phase),
      age(o, now),
    ],
  },
  Secret: {
    columns: [
      nameColumn,
      column(
        'Type',
        'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
      ),
      column(
        'Data',
        "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
      ),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata.name ?? '', str(o.type), countKeys(o.data), age(o, now)],
  },
  ConfigMap: {
    columns: [
      nameColumn,
      column(
        'Data',
        "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
      ),
      ageColumn,
    ],
    cells: (o, now) => [o.metadata.name ?? '', countKeys(o.data, o.binaryData), age(o, now)],
  },
  Lease: {
    columns: [
      nameColumn,
      column(
        'Holder',
        'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
      ),
      ageColumn,
    ],
    cells: (o, now) => [
      o.metadata.name ?? '',
      str((o.spec as { holderIdentity?: unknown })?.holderIdentity),
      age(o, now),
    ],
  },
  Event: {
    columns: [
      column(
        'Last Seen',
        'The time at which the most recent occurrence of this event was recorded.',
      ),
      column(
        'Type',
        'Type of this event (Normal, Warning), new types could be added in the future',
      ),
      column(
        'Reason',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column('Object', 'The object that this event is about.'),
      column(
        'Subobject',
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.',
        { priority: 1 },
      ),
      column(
        'Source',
        'The component reporting this event. Should be a short machine understandable string.',
        { priority: 1 },
      ),
      column('Message', 'A human-readable description of the status of this operation.'),
      column(
        'First Seen',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        { priority: 1 },
      ),
      column('Count', 'The number of times this event has occurred.', { priority: 1 }),
      column('Name', NAME_DESCRIPTION, { priority: 1, format: 'name' }),
    ],
    cells: eventCells,
  },
};

/** kube's event printer: ages of first/last occurrence (series-aware), "kind/name" target. */
function eventCells(o: KubeObject, now: Date): Cell[] {
  const e = o as KubeObject & {
    firstTimestamp?: string;
    lastTimestamp?: string;
    eventTime?: string;
    count?: number;
    series?: { count?: number; lastObservedTime?: string };
    involvedObject?: { kind?: string; name?: string; fieldPath?: string };
    source?: { component?: string; host?: string };
    reportingController?: string;
    reportingInstance?: string;
  };
  const first = e.firstTimestamp ? ageCell(e.firstTimestamp, now) : ageCell(e.eventTime, now);
  let last = e.lastTimestamp ? ageCell(e.lastTimestamp, now) : first;
  let count = e.count ?? 0;
  if (e.series) {
    last = ageCell(e.series.lastObservedTime, now);
    count = e.series.count ?? 0;
  } else if (count === 0) count = 1;
  const kind = (e.involvedObject?.kind ?? '').toLowerCase();
  const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
  return [
    last,
    str(e.type),
    str(e.reason),
    target,
    e.involvedObject?.fieldPath ?? '',
    eventSource(e),
    str(e.message).trim(),
    first,
    count,
    o.metadata.name ?? '',
  ];
}

function eventSource(e: {
  source?: { component?: string; host?: string };
  reportingController?: string;
  reportingInstance?: string;
}): string {
  const component = e.source?.component || e.reportingController || '';
  const host = e.source?.host || e.reportingInstance || '';
  if (component === '' && host === '') return '';
  return host === '' ? component : `${component}, ${host}`;
}

/** Follows a printer column's simple JSONPath (`.status.phase`, `.items[0].name`). */
export function evaluateJsonPath(obj: unknown, jsonPath: string): unknown {
  let value: unknown = obj;
  for (const match of jsonPath.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    if (value === null || typeof value !== 'object') return undefined;
    value =
      match[1] !== undefined
        ? (value as Record<string, unknown>)[match[1]]
        : (value as unknown[])[Number(match[2])];
  }
  return value;
}

function customCell(type: string, value: unknown, now: Date): Cell {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      return typeof value === 'string'
        ? value
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? ageCell(value, now) : null;
    default:
      return null;
  }
}

export function columnDefinitions(r: ResourceDescriptor): ColumnDefinition[] {
  const core =
    r.group === '' || r.group === 'coordination.k8s.io' ? CORE_TABLES[r.kind] : undefined;
  if (core) return core.columns;
  return [
    nameColumn,
    ...r.printerColumns.map(c => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description:
        c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    })),
  ];
}

export function rowCells(r: ResourceDescriptor, obj: KubeObject, now: Date): Cell[] {
  const core =
    r.group === '' || r.group === 'coordination.k8s.io' ? CORE_TABLES[r.kind] : undefined;
  if (core) return core.cells(obj, now);
  return [
    obj.metadata.name ?? '',
    ...r.printerColumns.map(c => customCell(c.type, evaluateJsonPath(obj, c.jsonPath), now)),
  ];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function partialObjectMetadata(obj: KubeObject, version: 'v1' | 'v1beta1' = 'v1') {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: obj.metadata,
  };
}

function row(r: ResourceDescriptor, obj: KubeObject, include: IncludeObject, now: Date) {
  const cells = rowCells(r, obj, now);
  // includeObject=None still carries the key, as `"object": null`, as kube sends it.
  if (include === 'None') return { cells, object: null };
  return { cells, object: include === 'Object' ? obj : partialObjectMetadata(obj) };
}

export interface TableOptions {
  include: IncludeObject;
  noHeaders: boolean;
  version: 'v1' | 'v1beta1';
  now: Date;
}

export function tableOf(
  r: ResourceDescriptor,
  objects: KubeObject[],
  metadata: Record<string, unknown>,
  options: TableOptions,
) {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${options.version}`,
    metadata,
    // Later events of a Table watch carry `"columnDefinitions": null`, as kube sends them.
    columnDefinitions: options.noHeaders ? null : columnDefinitions(r),
    rows: objects.map(o => row(r, o, options.include, options.now)),
  };
}

/**
 * The ListMeta of a list converted to a Table or PartialObjectMetadataList: kube omits an
 * empty continue there (a custom resource's own list carries `"continue": ""`).
 */
export function convertedListMeta(meta: ListJson['metadata']): Record<string, unknown> {
  const { resourceVersion, continue: next, remainingItemCount } = meta;
  const out: Record<string, unknown> = { resourceVersion };
  if (next) out.continue = next;
  if (remainingItemCount !== undefined) out.remainingItemCount = remainingItemCount;
  return out;
}

export function tableOfList(r: ResourceDescriptor, list: ListJson, options: TableOptions) {
  return tableOf(r, list.items, convertedListMeta(list.metadata), options);
}

export function tableOfObject(r: ResourceDescriptor, obj: KubeObject, options: TableOptions) {
  return tableOf(r, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '' }, options);
}
