/**
 * The sequence kubeComparison.test.ts runs against kube-apiserver and against these
 * functions: server-side apply by several managers (conflicts, force, shared ownership,
 * removal of what is no longer applied), updates and patches in between, status through
 * /status, kubectl's client-side to server-side takeover, strategic merge patch directives
 * and the refusals, on a Device (custom resource) and the core kinds.
 */

export type Kind = 'devices' | 'configmaps' | 'namespaces' | 'secrets' | 'leases' | 'events';
export type Step = {
  what: string;
  resource: Kind;
  name: string;
  subresource?: 'status';
  manager: string;
} & (
  | { op: 'create'; body: unknown }
  | { op: 'update'; body: unknown }
  | { op: 'apply'; body: unknown; force?: boolean }
  | { op: 'merge' | 'json' | 'strategic'; patch: unknown }
);

const DEVICE = 'wasmbed.io/v1alpha1';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const device = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: DEVICE,
  kind: 'Device',
  metadata: { name },
  ...extra,
});
const spec = (s: Record<string, unknown>) => ({
  spec: { board: 'mps2-an385', enrollment: { publicKey: 'k' }, ...s },
});
const cm = (name: string, extra: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  ...extra,
});

export const STEPS: Step[] = [
  // The brief's sequence on a Device.
  {
    what: 'A creates by apply',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: {
      ...device('ssa'),
      metadata: { name: 'ssa', labels: { x: '1', y: '2' } },
      ...spec({ gateway: 'gw-a' }),
    },
  },
  {
    what: 'B applies a conflicting board: 409',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: device('ssa', spec({ board: 'nrf52840-dk' })),
  },
  {
    what: 'B conflicts on three fields',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: {
      ...device('ssa'),
      metadata: { name: 'ssa', labels: { x: '9' } },
      ...spec({ board: 'nrf52840-dk', enrollment: { publicKey: 'other' } }),
    },
  },
  {
    what: 'B applies the same values as A: shared ownership, no conflict',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: device('ssa', spec({})),
  },
  {
    what: 'B forces the board',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    force: true,
    body: device('ssa', spec({ board: 'nrf52840-dk' })),
  },
  {
    what: 'A applies without label y and the gateway it owned: both removed',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: { ...device('ssa'), metadata: { name: 'ssa', labels: { x: '1' } }, ...spec({}) },
  },
  {
    what: 'kubectl patch (merge) sets a field',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    manager: 'kubectl-patch',
    patch: { spec: { gateway: 'gw-b' }, metadata: { labels: { z: '3' } } },
  },
  {
    what: 'apply conflicts with the Update manager',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: device('ssa', spec({ gateway: 'gw-c' })),
  },
  {
    what: 'apply forces it; A no longer applies labels',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    force: true,
    body: device('ssa', spec({ gateway: 'gw-c' })),
  },
  {
    what: 'the same apply again is a no-op',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: device('ssa', spec({ gateway: 'gw-c' })),
  },
  {
    what: 'a gateway applies status with conditions (a list keyed by type)',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', {
      status: {
        phase: 'Connected',
        conditions: [cond('Ready', 'True'), cond('Enrolled', 'True')],
      },
    }),
  },
  {
    what: 'a controller updates one condition through /status (merge patch)',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'controller',
    patch: { status: { observedGeneration: 3 } },
  },
  {
    what: 'the gateway reorders and drops a condition',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', {
      status: { phase: 'Connected', conditions: [cond('Enrolled', 'True')] },
    }),
  },
  {
    what: 'a monitor applies its own condition',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'monitor',
    body: device('ssa', { status: { conditions: [cond('Healthy', 'True')] } }),
  },
  {
    what: "the gateway applies two conditions in a new order around the monitor's",
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', {
      status: {
        phase: 'Connected',
        conditions: [cond('Ready', 'False'), cond('Enrolled', 'True')],
      },
    }),
  },
  {
    what: 'a controller replaces the conditions by merge patch: it owns the new items with "."',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'controller',
    patch: { status: { conditions: [cond('Ready', 'True'), cond('Degraded', 'False')] } },
  },
  {
    what: 'status in a main-resource apply is not owned',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: device('ssa', { ...spec({ gateway: 'gw-c' }), status: { phase: 'Pending' } }),
  },
  {
    what: 'JSON patch of a label by another manager',
    op: 'json',
    resource: 'devices',
    name: 'ssa',
    manager: 'labeller',
    patch: [{ op: 'add', path: '/metadata/labels/team', value: 'edge' }],
  },
  {
    what: 'managedFields: [{}] clears them',
    op: 'merge',
    resource: 'devices',
    name: 'ssa',
    manager: 'cleaner',
    patch: { metadata: { managedFields: [{}] } },
  },
  {
    what: 'an apply after the reset: before-first-apply owns the rest',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'bob',
    body: device('ssa', spec({ board: 'mps2-an500' })),
  },

  // Empty and null values in an applied configuration.
  {
    what: 'an empty labels map is owned as a leaf',
    op: 'apply',
    resource: 'devices',
    name: 'empties',
    manager: 'alice',
    body: { ...device('empties'), metadata: { name: 'empties', labels: {} }, ...spec({}) },
  },
  {
    what: 'a label added by a patch, then the empty map applied again',
    op: 'merge',
    resource: 'devices',
    name: 'empties',
    manager: 'kubectl-label',
    patch: { metadata: { labels: { added: 'yes' } } },
  },
  {
    what: 'the applier drops labels: the map stays for the other owner',
    op: 'apply',
    resource: 'devices',
    name: 'empties',
    manager: 'alice',
    body: device('empties', spec({})),
  },
  {
    what: 'null for a field another manager set is a conflict',
    op: 'apply',
    resource: 'devices',
    name: 'empties',
    manager: 'bob',
    body: device('empties', { spec: { board: null } }),
  },
  {
    what: 'null annotations applied',
    op: 'apply',
    resource: 'devices',
    name: 'empties',
    manager: 'bob',
    body: { ...device('empties'), metadata: { name: 'empties', annotations: null } },
  },

  // A Device created by POST (an Update manager, with "." markers), then updated by PUT.
  {
    what: 'kubectl create',
    op: 'create',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-create',
    body: {
      ...device('made'),
      metadata: { name: 'made', labels: { a: '1' }, finalizers: ['wasmbed.io/x'] },
      ...spec({}),
    },
  },
  {
    what: 'kubectl replace changes the board and drops the label',
    op: 'update',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-replace',
    body: { ...device('made'), metadata: { name: 'made' }, ...spec({ board: 'mps2-an505' }) },
  },
  {
    what: 'apply to an object created by POST conflicts with its creator',
    op: 'apply',
    resource: 'devices',
    name: 'made',
    manager: 'alice',
    body: device('made', spec({ board: 'mps2-an385' })),
  },

  // kubectl apply (client-side), then kubectl apply --server-side: the three requests
  // kubectl 1.32 sends to take the object over (recorded with -v=9).
  {
    what: 'kubectl apply (client-side) creates',
    op: 'create',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl-client-side-apply',
    body: {
      ...device('csa'),
      metadata: {
        name: 'csa',
        labels: { team: 'a' },
        annotations: { [LAST_APPLIED]: lastApplied('csa', 'mps2-an385', { annotations: {} }) },
      },
      ...spec({}),
    },
  },
  {
    what: 'client-side apply patches a field without recording it in its annotation',
    op: 'merge',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl-client-side-apply',
    patch: { spec: { gateway: 'by-hand' } },
  },
  {
    what: 'kubectl apply --server-side: a field changed since the last client-side apply conflicts',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl',
    body: {
      ...device('csa'),
      metadata: { name: 'csa', labels: { team: 'a' } },
      ...spec({ board: 'nrf52840-dk', gateway: 'other' }),
    },
  },
  {
    what: 'kubectl apply --server-side takes over what client-side apply last applied',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl',
    body: {
      ...device('csa'),
      metadata: { name: 'csa', labels: { team: 'a' } },
      ...spec({ board: 'nrf52840-dk' }),
    },
  },
  {
    what: 'kubectl then applies the annotation as kubectl-last-applied',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl-last-applied',
    body: {
      ...device('csa'),
      metadata: {
        name: 'csa',
        annotations: { [LAST_APPLIED]: lastApplied('csa', 'nrf52840-dk') },
      },
    },
  },
  {
    what: 'and applies the configuration again',
    op: 'apply',
    resource: 'devices',
    name: 'csa',
    manager: 'kubectl',
    body: {
      ...device('csa'),
      metadata: { name: 'csa', labels: { team: 'a' } },
      ...spec({ board: 'nrf52840-dk' }),
    },
  },

  {
    what: 'an annotation added by merge patch',
    op: 'merge',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-annotate',
    patch: { metadata: { annotations: { note: 'x' } } },
  },
  {
    what: 'a JSON patch rewriting managedFields hands ownership over (as kubectl upgrades do)',
    op: 'json',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-patch',
    patch: [
      {
        op: 'replace',
        path: '/metadata/managedFields',
        value: [
          {
            manager: 'mover',
            operation: 'Apply',
            apiVersion: DEVICE,
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:note': {} } } },
          },
        ],
      },
    ],
  },
  {
    what: 'the new owner applies without the annotation: it goes',
    op: 'apply',
    resource: 'devices',
    name: 'made',
    manager: 'mover',
    body: device('made'),
  },
  {
    what: 'managedFields that do not decode are ignored for the live ones',
    op: 'merge',
    resource: 'devices',
    name: 'made',
    manager: 'kubectl-patch',
    patch: { metadata: { managedFields: [{ manager: 'x', operation: 'Bogus' }] } },
  },

  // A ConfigMap: a core kind with a granular data map, client-side apply and strategic merge.
  {
    what: 'ConfigMap created by apply',
    op: 'apply',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'alice',
    body: cm('cfg', { data: { a: '1', b: '2' } }),
  },
  {
    what: 'strategic merge patch adds a key and a finalizer',
    op: 'strategic',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'kubectl-patch',
    patch: { data: { c: '3' }, metadata: { finalizers: ['x/y'] } },
  },
  {
    what: 'apply without b and with c: c conflicts',
    op: 'apply',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'alice',
    body: cm('cfg', { data: { a: '1', c: '4' } }),
  },
  {
    what: 'apply without b: b removed, c untouched',
    op: 'apply',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'alice',
    body: cm('cfg', { data: { a: '1' } }),
  },
  {
    what: 'strategic merge patch removes the finalizer',
    op: 'strategic',
    resource: 'configmaps',
    name: 'cfg',
    manager: 'kubectl-patch',
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['x/y'] } },
  },
  {
    what: 'ConfigMap created by POST',
    op: 'create',
    resource: 'configmaps',
    name: 'made',
    manager: 'kubectl-create',
    body: cm('made', { data: { k: 'v' } }),
  },

  // Strategic merge patch directives on ObjectMeta's merge lists (what kubectl sends).
  {
    what: 'ConfigMap with finalizers and owners',
    op: 'create',
    resource: 'configmaps',
    name: 'smp',
    manager: 'kubectl-create',
    body: cm('smp', {
      metadata: {
        name: 'smp',
        finalizers: ['a/1', 'b/2', 'c/3'],
        ownerReferences: [owner('u1'), owner('u2')],
        labels: { l1: 'x', l2: 'y' },
      },
      data: { a: '1', b: '2' },
    }),
  },
  ...[
    { metadata: { '$setElementOrder/finalizers': ['c/3', 'a/1'], finalizers: ['d/4'] } },
    {
      metadata: {
        '$setElementOrder/finalizers': ['c/3', 'a/1', 'd/4'],
        finalizers: ['a/1', 'd/4'],
      },
    },
    { metadata: { '$setElementOrder/finalizers': ['c/3', 'b/2', 'e/5'], finalizers: ['e/5'] } },
    { metadata: { '$setElementOrder/ownerReferences': [{ uid: 'u2' }, { uid: 'u1' }] } },
    {
      metadata: {
        '$setElementOrder/ownerReferences': [{ uid: 'u3' }, { uid: 'u1' }],
        ownerReferences: [owner('u3')],
      },
    },
    { metadata: { ownerReferences: [{ uid: 'u2', $patch: 'delete' }] } },
    { metadata: { ownerReferences: [{ name: 'no-uid' }] } },
    { metadata: { labels: { $patch: 'delete' } } },
    { data: { $patch: 'replace', z: '1' } },
    { data: { $patch: 'bogus' } },
    { metadata: { '$setElementOrder/finalizers': 'x' } },
    { metadata: { '$deleteFromPrimitiveList/finalizers': ['b/2', 'zz'] } },
    { metadata: { ownerReferences: [1] } },
    { metadata: { finalizers: [{ $patch: 'delete' }] } },
    { data: { $retainKeys: 'x' } },
    null,
    [1],
  ].map((patch, i): Step => ({
    what: `strategic merge patch ${i}: ${JSON.stringify(patch)}`,
    op: 'strategic',
    resource: 'configmaps',
    name: 'smp',
    manager: 'kubectl-patch',
    patch,
  })),

  // The other core kinds: defaults owned by their writer or not, as kube decides.
  {
    what: "Namespace created: its name label is the creator's, its finalizer and phase are not",
    op: 'create',
    resource: 'namespaces',
    name: 'fields-ns',
    manager: 'kubectl-create',
    body: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'fields-ns', labels: { a: 'b' } },
    },
  },
  {
    what: 'Namespace label applied; status in a main-resource apply ignored',
    op: 'apply',
    resource: 'namespaces',
    name: 'fields-ns',
    manager: 'alice',
    body: {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'fields-ns', labels: { team: 'edge' } },
      status: { phase: 'Terminating' },
    },
  },
  {
    what: 'Secret created with stringData: the creator owns data and the default type',
    op: 'create',
    resource: 'secrets',
    name: 'token',
    manager: 'kubectl-create',
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, stringData: { t: 'x' } },
  },
  {
    what: 'Secret key applied by another manager',
    op: 'apply',
    resource: 'secrets',
    name: 'token',
    manager: 'alice',
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token' }, data: { u: 'eQ==' } },
  },
  {
    what: 'Lease created by a gateway',
    op: 'create',
    resource: 'leases',
    name: 'gw-a',
    manager: 'gateway',
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'gw-a' },
      spec: { holderIdentity: 'gw-a', leaseDurationSeconds: 15 },
    },
  },
  {
    what: 'Lease renewed by merge patch',
    op: 'merge',
    resource: 'leases',
    name: 'gw-a',
    manager: 'gateway',
    patch: { spec: { renewTime: '2026-11-29T19:00:00.000000Z' } },
  },
  {
    what: 'another holder applying the Lease conflicts',
    op: 'apply',
    resource: 'leases',
    name: 'gw-a',
    manager: 'gw-b',
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'gw-a' },
      spec: { holderIdentity: 'gw-b' },
    },
  },
  {
    what: 'Event created: its atomic involvedObject and null times as kube writes them',
    op: 'create',
    resource: 'events',
    name: 'ev1',
    manager: 'gateway',
    body: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ev1' },
      involvedObject: { kind: 'Device', name: 'ssa', namespace: 'default' },
      reason: 'Connected',
      message: 'device connected',
      type: 'Normal',
      source: { component: 'gateway' },
      firstTimestamp: '2026-11-29T19:00:00Z',
      count: 1,
    },
  },
  {
    what: 'Event count bumped by strategic merge patch',
    op: 'strategic',
    resource: 'events',
    name: 'ev1',
    manager: 'gateway',
    patch: { count: 2, lastTimestamp: '2026-11-29T19:01:00Z' },
  },

  // Refusals.
  {
    what: 'apply of the wrong kind',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: { ...device('ssa'), kind: 'Gateway' },
  },
  {
    what: 'apply with managedFields',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    manager: 'alice',
    body: { ...device('ssa'), metadata: { name: 'ssa', managedFields: [] } },
  },
  {
    what: 'apply with a condition missing its key',
    op: 'apply',
    resource: 'devices',
    name: 'ssa',
    subresource: 'status',
    manager: 'gateway',
    body: device('ssa', { status: { conditions: [{ status: 'True' }] } }),
  },
];

/** The annotation as kubectl writes it: Go's JSON of the configuration, keys sorted, and a newline. */
function lastApplied(name: string, board: string, meta: Record<string, unknown> = {}) {
  const config = {
    apiVersion: DEVICE,
    kind: 'Device',
    metadata: { ...meta, labels: { team: 'a' }, name, namespace: 'default' },
    spec: { board, enrollment: { publicKey: 'k' } },
  };
  return `${JSON.stringify(config)}\n`;
}

function owner(uid: string) {
  return { apiVersion: 'v1', kind: 'X', name: `owner-${uid}`, uid };
}

function cond(type: string, status: string) {
  return {
    type,
    status,
    reason: 'Checked',
    message: `${type} is ${status}`,
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
}
