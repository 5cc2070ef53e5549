import { gatewayLeaseName, type Gateway } from '@wasmbed/plugin-wasmbed-common';
import { conditionOf, nowTime, sameJson, setConditions } from './conditions';
import type { Log, ReconcileResult } from './controller';
import { splitKey } from './controller';
import type { EventRecorder } from './events';
import type { Informer } from './informer';
import type { KubeClient } from './kubeClient';
import { leaseExpiresAt, type Lease } from './leases';
import { withKind } from './applicationController';

/**
 * The Gateway reconciler: phase Ready while the gateway's Lease is renewed, NotReady (and
 * condition Ready=False, reason LeaseExpired) once it has run out. No polling: each pass
 * arms a requeue at the Lease's expiry, and every renewal (a watch event) runs it again and
 * moves that time on. When a gateway is found gone, the devices it held are handed to the
 * Device reconciler, which marks them Unreachable.
 */

const SLACK_MS = 50;
const GATEWAYS = (ns: string) => `/apis/wasmbed.io/v1alpha1/namespaces/${ns}/gateways`;

export interface GatewayControllerDeps {
  client: KubeClient;
  gateways: Informer<Gateway>;
  leases: Informer<Lease>;
  events: EventRecorder;
  log: Log;
  /** Queue the Device reconciler for every device whose status names this gateway. */
  devicesHeldBy(namespace: string, gateway: string): void;
}

export function createGatewayReconciler(deps: GatewayControllerDeps) {
  const { client, gateways, leases, events, log, devicesHeldBy } = deps;
  return async function reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const lease = leases.get(namespace, gatewayLeaseName(name));
    const expires = leaseExpiresAt(lease);
    const now = Date.now();
    const alive = expires > now;
    if (!alive) devicesHeldBy(namespace, name);
    const gw = gateways.get(namespace, name);
    if (!gw) return;
    const status = gw.status ?? {};
    // A gateway that stops cleanly reports NotReady itself while its Lease still runs: that
    // is what was observed, so it stands until the gateway reports Ready again (or the
    // Lease runs out). A NotReady this controller wrote (LeaseExpired) gives way to a renewal.
    const ready = conditionOf(status.conditions, 'Ready');
    const stopped = alive && status.phase === 'NotReady' && ready?.reason !== 'LeaseExpired';
    const next = {
      ...status,
      phase: alive && !stopped ? ('Ready' as const) : ('NotReady' as const),
      conditions: setConditions(
        status.conditions,
        [
          stopped
            ? {
                type: 'Ready',
                status: 'False' as const,
                reason: 'GatewayStopped',
                message:
                  'the gateway reported NotReady (it is stopping); its Lease has not run out yet',
              }
            : alive
              ? {
                  type: 'Ready',
                  status: 'True' as const,
                  reason: 'LeaseRenewed',
                  message: `Lease ${gatewayLeaseName(name)} is renewed`,
                }
              : {
                  type: 'Ready',
                  status: 'False' as const,
                  reason: 'LeaseExpired',
                  message: lease
                    ? `Lease ${gatewayLeaseName(name)} expired at ${new Date(expires).toISOString()}`
                    : `no Lease ${gatewayLeaseName(name)}`,
                },
        ],
        nowTime(),
      ),
    };
    if (!sameJson(status, next)) {
      const saved = await client.replace<Gateway>(`${GATEWAYS(namespace)}/${name}/status`, {
        ...gw,
        status: next,
      });
      gateways.assume(saved);
      if (status.phase === 'Ready' && !alive)
        events.record(
          withKind(saved, 'Gateway'),
          'Warning',
          'LeaseExpired',
          next.conditions[0]!.message,
        );
      log('gateway: phase', { gateway: name, phase: next.phase });
    }
    return alive ? { requeueAfterMs: expires - now + SLACK_MS } : undefined;
  };
}
