import { KubeConfig } from '@kubernetes/client-node';
import {
  LABEL_APPLICATION,
  gatewayLeaseName,
  SYSTEM_NAMESPACE,
  type AppInstance,
  type Application,
  type Device,
  type Gateway,
} from '@wasmbed/plugin-wasmbed-common';
import { BY_APPLICATION, createApplicationReconciler } from './applicationController';
import { Controller, type Log } from './controller';
import { createDeviceReconciler } from './deviceController';
import { EventRecorder } from './events';
import { createGatewayReconciler } from './gatewayController';
import { Informer, objectKey } from './informer';
import { isAlreadyExists, KubeClient } from './kubeClient';
import type { Lease } from './leases';
import { ensureRevocationList } from './revocationList';
import { WorkQueue } from './workQueue';

/**
 * The Wasmbed controllers in one process: informers on the fleet namespace's Devices,
 * Applications, AppInstances, Gateways and Leases; one work queue and reconciler per kind
 * (Application, Device, Gateway); Events through one rate-limited recorder. The informers'
 * handlers only queue keys; every decision is taken by a reconciler from the cached state.
 */

export interface ControllersOptions {
  /** A loaded KubeConfig, or the path of a kubeconfig file. */
  kubeConfig: KubeConfig | string;
  /** The fleet namespace (default `default`). */
  namespace?: string;
  log?: Log;
}

export interface RunningControllers {
  stop(): Promise<void>;
  /** Reconciles run and failed so far, per controller (for tests and logs). */
  stats(): Record<string, { reconciles: number; errors: number; queued: number }>;
}

const GROUP = '/apis/wasmbed.io/v1alpha1';

async function ensureNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.create('/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

export async function startControllers(options: ControllersOptions): Promise<RunningControllers> {
  const namespace = options.namespace ?? 'default';
  const log: Log = options.log ?? (() => {});
  let kc = options.kubeConfig;
  if (typeof kc === 'string') {
    const file = kc;
    kc = new KubeConfig();
    kc.loadFromFile(file);
  }
  const client = await KubeClient.fromKubeConfig(kc);
  await ensureNamespace(client, SYSTEM_NAMESPACE);
  await ensureRevocationList(client);

  const ns = `namespaces/${namespace}`;
  const informerLog = (message: string, fields?: Record<string, unknown>) => log(message, fields);
  const devices = new Informer<Device>(client, {
    path: `${GROUP}/${ns}/devices`,
    log: informerLog,
  });
  const applications = new Informer<Application>(client, {
    path: `${GROUP}/${ns}/applications`,
    log: informerLog,
  });
  const instances = new Informer<AppInstance>(client, {
    path: `${GROUP}/${ns}/appinstances`,
    log: informerLog,
  });
  const gateways = new Informer<Gateway>(client, {
    path: `${GROUP}/${ns}/gateways`,
    log: informerLog,
  });
  const leases = new Informer<Lease>(client, {
    path: `/apis/coordination.k8s.io/v1/${ns}/leases`,
    log: informerLog,
  });

  const appOf = (i: AppInstance) =>
    `${i.metadata.namespace}/${i.metadata.labels?.[LABEL_APPLICATION] ?? i.spec.application}`;
  instances.addIndex(BY_APPLICATION, i => [appOf(i)]);
  devices.addIndex('gateway', d => (d.status?.gateway ? [d.status.gateway] : []));

  const appQueue = new WorkQueue();
  const deviceQueue = new WorkQueue();
  const gatewayQueue = new WorkQueue();

  const applicationController = new Controller(
    'application',
    appQueue,
    createApplicationReconciler({
      client,
      applications,
      instances,
      devices,
      events: new EventRecorder(client, 'wasmbed-application-controller', log),
      log,
    }),
    log,
  );
  const deviceController = new Controller(
    'device',
    deviceQueue,
    createDeviceReconciler({
      client,
      devices,
      gateways,
      leases,
      events: new EventRecorder(client, 'wasmbed-device-controller', log),
      log,
    }),
    log,
  );
  const gatewayController = new Controller(
    'gateway',
    gatewayQueue,
    createGatewayReconciler({
      client,
      gateways,
      leases,
      events: new EventRecorder(client, 'wasmbed-gateway-controller', log),
      log,
      devicesHeldBy: (namespace, gateway) => {
        for (const d of devices.byIndex('gateway', `${gateway}`))
          if (d.metadata.namespace === namespace) deviceQueue.add(objectKey(d.metadata));
      },
    }),
    log,
  );

  // Handlers only name keys; the reconcilers decide.
  const allApps = () => {
    for (const a of applications.list()) appQueue.add(objectKey(a.metadata));
  };
  applications.on({
    add: a => appQueue.add(objectKey(a.metadata)),
    update: (_, a) => appQueue.add(objectKey(a.metadata)),
    delete: a => appQueue.add(objectKey(a.metadata)),
  });
  instances.on({
    add: i => appQueue.add(appOf(i)),
    update: (_, i) => appQueue.add(appOf(i)),
    delete: i => appQueue.add(appOf(i)),
  });
  // What targets or degrades an Application: existence, labels, revocation, deletion, phase.
  const targetingFacts = (d: Device) =>
    JSON.stringify([
      d.metadata.labels ?? {},
      d.spec.revoked ?? false,
      d.metadata.deletionTimestamp ?? '',
      d.status?.phase ?? '',
    ]);
  devices.on({
    add: d => {
      deviceQueue.add(objectKey(d.metadata));
      allApps();
    },
    update: (old, d) => {
      deviceQueue.add(objectKey(d.metadata));
      if (targetingFacts(old) !== targetingFacts(d)) allApps();
    },
    delete: () => allApps(),
  });
  gateways.on({
    add: g => gatewayQueue.add(objectKey(g.metadata)),
    update: (_, g) => gatewayQueue.add(objectKey(g.metadata)),
    delete: g => gatewayQueue.add(objectKey(g.metadata)),
  });
  // A Lease names its gateway by holderIdentity (gatewayLeaseName(G) with G = holder).
  const gatewayOfLease = (l: Lease) => {
    const holder = l.spec?.holderIdentity;
    if (holder && l.metadata.name === gatewayLeaseName(holder))
      gatewayQueue.add(`${l.metadata.namespace}/${holder}`);
    else if (l.metadata.name.startsWith(gatewayLeaseName('')))
      gatewayQueue.add(
        `${l.metadata.namespace}/${l.metadata.name.slice(gatewayLeaseName('').length)}`,
      );
  };
  leases.on({ add: gatewayOfLease, update: (_, l) => gatewayOfLease(l), delete: gatewayOfLease });

  const informers = [devices, applications, instances, gateways, leases];
  for (const i of informers) i.start();
  await Promise.all(informers.map(i => i.synced));
  applicationController.start(4);
  deviceController.start(8);
  gatewayController.start(2);
  log('controllers: synced', {
    namespace,
    devices: devices.size,
    applications: applications.size,
    appInstances: instances.size,
    gateways: gateways.size,
  });

  const controllers = [applicationController, deviceController, gatewayController];
  return {
    async stop() {
      await Promise.all(controllers.map(c => c.stop()));
      await Promise.all(informers.map(i => i.stop()));
      client.close();
    },
    stats() {
      return Object.fromEntries(
        controllers.map(c => [
          c.name,
          { reconciles: c.reconciles, errors: c.errors, queued: c.queue.length },
        ]),
      );
    },
  };
}

export { KubeClient } from './kubeClient';
