import type { AppInstance, Application, Device } from '@wasmbed/plugin-wasmbed-common';
import type { ResolvedModule } from './moduleResolver';
import {
  applicationStatus,
  instanceSpec,
  planRollout,
  targetDevices,
  templateHash,
} from './rollout';

const UID = 'app-uid';
const MODULE: ResolvedModule = {
  ok: true,
  sha256: 'a'.repeat(64),
  bytes: 100,
  configMap: `wasm-module-${'a'.repeat(40)}`,
};

function app(spec: Partial<Application['spec']> = {}): Application {
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'app', namespace: 'default', uid: UID, generation: 3 },
    spec: {
      module: { inline: 'AGFzbQEAAAA=' },
      target: { all: true },
      rollout: { maxUnavailable: 2, maxFailures: 0 },
      ...spec,
    },
  };
}

function device(
  name: string,
  extra: Partial<Device['metadata']> = {},
  revoked = false,
  phase?: string,
): Device {
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Device',
    metadata: { name, namespace: 'default', ...extra },
    spec: { board: 'mps2-an385', enrollment: { publicKey: 'k' }, ...(revoked ? { revoked } : {}) },
    ...(phase ? { status: { phase: phase as 'Connected' } } : {}),
  };
}

function instance(
  dev: string,
  revision: number,
  phase?: string,
  generation = 1,
  observed = generation,
  owner = UID,
): AppInstance {
  const a = app();
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'AppInstance',
    metadata: {
      name: `app.${dev}`,
      namespace: 'default',
      generation,
      ...({ ownerReferences: [{ uid: owner }] } as object),
    },
    spec: instanceSpec(a, dev, revision, MODULE),
    ...(phase ? { status: { phase: phase as 'Running', observedGeneration: observed } } : {}),
  };
}

const devices = (n: number) => Array.from({ length: n }, (_, i) => device(`d${i + 1}`));

describe('targetDevices', () => {
  it('takes named devices that exist, a selector or all; never a revoked or deleting one', () => {
    const fleet = [
      device('a', { labels: { role: 'sensor', zone: 'x' } }),
      device('b', { labels: { role: 'sensor' } }, true),
      device('c', { labels: { role: 'sensor' }, deletionTimestamp: '2026-01-01T00:00:00Z' }),
      device('d', { labels: { role: 'actuator', zone: 'y' } }),
      { ...device('e'), metadata: { name: 'e', namespace: 'other' } },
    ];
    const names = (a: Application) => targetDevices(a, fleet).map(d => d.metadata.name);
    expect(names(app({ target: { all: true } }))).toEqual(['a', 'd']);
    expect(names(app({ target: { devices: ['d', 'b', 'zz'] } }))).toEqual(['d']);
    expect(names(app({ target: { selector: { matchLabels: { role: 'sensor' } } } }))).toEqual([
      'a',
    ]);
    expect(
      names(
        app({
          target: {
            selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['y'] }] },
          },
        }),
      ),
    ).toEqual(['d']);
    expect(
      names(
        app({
          target: { selector: { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] } },
        }),
      ),
    ).toEqual([]);
    expect(
      names(
        app({
          target: {
            selector: {
              matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['sensor'] }],
            },
          },
        }),
      ),
    ).toEqual(['d']);
  });
});

describe('templateHash', () => {
  it('changes with the module, config, limits or activation, not with the target or rollout', () => {
    const base = templateHash(app(), MODULE);
    expect(
      templateHash(
        app({ target: { devices: ['x'] }, rollout: { maxUnavailable: 5, maxFailures: 1 } }),
        MODULE,
      ),
    ).toBe(base);
    expect(templateHash(app({ config: { a: '1' } }), MODULE)).not.toBe(base);
    expect(templateHash(app({ activation: { periodMs: 100 } }), MODULE)).not.toBe(base);
    expect(templateHash(app(), { ...MODULE, sha256: 'b'.repeat(64) })).not.toBe(base);
  });
});

describe('planRollout', () => {
  it('creates every missing instance at the current revision at once', () => {
    const plan = planRollout(app(), 1, MODULE, devices(5), []);
    expect(plan.create.map(s => [s.device, s.revision])).toEqual([
      ['d1', 1],
      ['d2', 1],
      ['d3', 1],
      ['d4', 1],
      ['d5', 1],
    ]);
    expect(plan.update).toEqual([]);
  });

  it('moves at most maxUnavailable instances, not-running ones first', () => {
    const current = [
      instance('d1', 1, 'Running'),
      instance('d2', 1, 'Running'),
      instance('d3', 1, 'Failed'),
      instance('d4', 1, 'Running'),
      instance('d5', 1),
    ];
    const plan = planRollout(app(), 2, MODULE, devices(5), current);
    expect(plan.update.map(u => [u.instance.metadata.name, u.spec.revision])).toEqual([
      ['app.d3', 2],
      ['app.d5', 2],
    ]);
  });

  it('moves the next batch only as instances of the new revision run at their generation', () => {
    const running = (d: string) => instance(d, 2, 'Running', 2, 2);
    const stale = (d: string) => instance(d, 2, 'Running', 2, 1); // Running, but the old spec
    const old = ['d3', 'd4', 'd5'].map(d => instance(d, 1, 'Running'));
    expect(
      planRollout(app(), 2, MODULE, devices(5), [stale('d1'), stale('d2'), ...old]).update,
    ).toEqual([]);
    expect(
      planRollout(app(), 2, MODULE, devices(5), [running('d1'), stale('d2'), ...old]).update.map(
        u => u.instance.metadata.name,
      ),
    ).toEqual(['app.d3']);
    expect(
      planRollout(app(), 2, MODULE, devices(5), [running('d1'), running('d2'), ...old]).update.map(
        u => u.instance.metadata.name,
      ),
    ).toEqual(['app.d3', 'app.d4']);
  });

  it('stops when failed instances of the new revision exceed maxFailures', () => {
    const current = [
      instance('d1', 2, 'Failed', 2, 2),
      instance('d2', 1, 'Running'),
      instance('d3', 1, 'Running'),
    ];
    expect(planRollout(app(), 2, MODULE, devices(3), current)).toMatchObject({
      rolloutFailed: true,
      update: [],
    });
    const tolerant = app({ rollout: { maxUnavailable: 2, maxFailures: 1 } });
    const plan = planRollout(tolerant, 2, MODULE, devices(3), current);
    expect(plan.rolloutFailed).toBe(false);
    expect(plan.update.map(u => u.instance.metadata.name)).toEqual(['app.d2', 'app.d3']);
  });

  it('deletes instances of untargeted devices and of another owner, and repairs an edited spec', () => {
    const edited = instance('d2', 2, 'Running', 2, 2);
    edited.spec = { ...edited.spec, config: { injected: 'x' } };
    const plan = planRollout(app(), 2, MODULE, devices(2), [
      instance('d1', 2, 'Running', 1, 1, 'someone-else'),
      edited,
      instance('gone', 2, 'Running'),
    ]);
    expect(plan.delete.map(i => i.metadata.name).sort()).toEqual(['app.d1', 'app.gone']);
    expect(plan.create.map(s => s.device)).toEqual(['d1']);
    expect(plan.update.map(u => [u.instance.metadata.name, u.spec.config])).toEqual([
      ['app.d2', undefined],
    ]);
  });
});

describe('applicationStatus', () => {
  const facts = { revision: 2, module: MODULE, rolloutFailed: false };
  it('counts desired, updated, running and failed, and reports a rollout in progress', () => {
    const targets = devices(3);
    const { status, conditions } = applicationStatus(
      app(),
      facts,
      targets,
      [
        instance('d1', 2, 'Running', 2, 2),
        instance('d2', 2, 'Running', 2, 1),
        instance('d3', 1, 'Running'),
      ],
      () => undefined,
    );
    expect(status).toMatchObject({
      phase: 'Deploying',
      desired: 3,
      updated: 2,
      running: 1,
      failed: 0,
      revision: 2,
      observedGeneration: 3,
    });
    const byType = Object.fromEntries(conditions.map(c => [c.type, [c.status, c.reason]]));
    expect(byType).toEqual({
      Available: ['True', 'AllRunning'],
      Progressing: ['True', 'RollingOut'],
      Degraded: ['False', 'Healthy'],
    });
  });

  it('is complete when every instance runs the revision; degraded when a device is unreachable', () => {
    const targets = devices(2);
    const all = [instance('d1', 2, 'Running', 2, 2), instance('d2', 2, 'Running', 2, 2)];
    expect(applicationStatus(app(), facts, targets, all, () => undefined).status.phase).toBe(
      'Running',
    );
    const lost = applicationStatus(app(), facts, targets, all, n =>
      n === 'd2' ? device('d2', {}, false, 'Unreachable') : undefined,
    );
    expect(lost.status.phase).toBe('Degraded');
    expect(lost.conditions.find(c => c.type === 'Degraded')).toMatchObject({
      status: 'True',
      reason: 'DevicesUnreachable',
    });
    expect(lost.conditions.find(c => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'RolloutComplete',
    });
  });

  it('is Pending without devices and Failed when the module is refused', () => {
    expect(applicationStatus(app(), facts, [], [], () => undefined).status.phase).toBe('Pending');
    const refused = applicationStatus(
      app(),
      { ...facts, moduleProblem: { reason: 'ModuleRefused', message: 'bad digest' } },
      devices(1),
      [],
      () => undefined,
    );
    expect(refused.status.phase).toBe('Failed');
    expect(refused.conditions.find(c => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ModuleRefused',
    });
  });
});
