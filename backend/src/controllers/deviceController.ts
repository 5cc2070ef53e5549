import {
  DEVICE_FINALIZER,
  gatewayLeaseName,
  type Device,
  type DeviceStatus,
  type Gateway,
} from '@wasmbed/plugin-wasmbed-common';
import { conditionOf, nowTime, sameJson, setConditions, type ConditionInput } from './conditions';
import type { Log, ReconcileResult } from './controller';
import { splitKey } from './controller';
import type { EventRecorder } from './events';
import type { Informer } from './informer';
import type { KubeClient } from './kubeClient';
import { leaseExpiresAt, type Lease } from './leases';
import { revocationEntries, revoke } from './revocationList';
import { withKind } from './applicationController';

/**
 * The Device reconciler: keeps the revocation finalizer on every Device; puts a revoked or
 * deleted device's certificate serials on the revocation list (and only then lets a deleted
 * one go); writes the Ready and Revoked conditions; and marks a held device Unreachable when
 * the gateway holding it is gone (its Lease expired, or no Lease or Gateway) or its heartbeat
 * deadline passed. Every status write is a PUT carrying the read's resourceVersion, so a stale
 * cache never overwrites a newer report from a gateway (409, and the reconcile runs again).
 */

/** Gateways refresh lastHeartbeat at least this often (batched status writes). */
export const HEARTBEAT_REFRESH_MS = 5 * 60_000;
const DEFAULT_HEARTBEAT_TIMEOUT_S = 90;
/** Timers fire this long after a deadline, so the check that follows sees it passed. */
const SLACK_MS = 50;

const DEVICES = (ns: string) => `/apis/wasmbed.io/v1alpha1/namespaces/${ns}/devices`;

export interface DeviceControllerDeps {
  client: KubeClient;
  devices: Informer<Device>;
  gateways: Informer<Gateway>;
  leases: Informer<Lease>;
  events: EventRecorder;
  log: Log;
}

const isHeld = (s: DeviceStatus | undefined) =>
  !!s?.gateway && (s.phase === 'Connected' || s.phase === 'Enrolled');

export function createDeviceReconciler(deps: DeviceControllerDeps) {
  const { client, devices, gateways, leases, events, log } = deps;

  return async function reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    let dev = devices.get(namespace, name);
    if (!dev) return;
    const path = `${DEVICES(namespace)}/${name}`;
    const deleting = !!dev.metadata.deletionTimestamp;
    const finalizers = dev.metadata.finalizers ?? [];

    if (!deleting && !finalizers.includes(DEVICE_FINALIZER)) {
      dev = await client.mergePatch<Device>(path, {
        metadata: {
          resourceVersion: dev.metadata.resourceVersion,
          finalizers: [...finalizers, DEVICE_FINALIZER],
        },
      });
      devices.assume(dev);
    }

    const revoked = deleting || dev.spec.revoked === true;
    if (revoked) {
      const entries = revocationEntries(
        dev.status?.certificateSerials ?? [],
        dev.status?.certificate,
      );
      await revoke(client, entries);
      if (conditionOf(dev.status?.conditions, 'Revoked')?.status !== 'True')
        events.record(
          withKind(dev, 'Device'),
          'Warning',
          'Revoked',
          `${deleting ? 'deleted' : 'spec.revoked'}: ${Object.keys(entries).length} certificate serials on the revocation list${Object.keys(entries).length ? ` (${Object.keys(entries).join(', ')})` : ''}`,
        );
    }
    if (deleting) {
      // The serials are on the list: the object may go.
      if (finalizers.includes(DEVICE_FINALIZER)) {
        const saved = await client.mergePatch<Device>(path, {
          metadata: {
            resourceVersion: dev.metadata.resourceVersion,
            finalizers: finalizers.filter(f => f !== DEVICE_FINALIZER),
          },
        });
        devices.assume(saved);
        log('device: revoked and released', { device: name });
      }
      return;
    }

    const status = dev.status ?? {};
    let phase = status.phase;
    let lost: { reason: string; message: string } | undefined;
    let requeueAfterMs: number | undefined;
    if (isHeld(status)) {
      const gatewayName = status.gateway!;
      const gw = gateways.get(namespace, gatewayName);
      const lease = leases.get(namespace, gatewayLeaseName(gatewayName));
      const now = Date.now();
      const expires = leaseExpiresAt(lease);
      if (!gw || !lease || expires <= now) {
        lost = {
          reason: 'GatewayLost',
          message: `gateway ${gatewayName} ${!gw ? 'does not exist' : !lease ? 'holds no Lease' : `stopped renewing its Lease (expired ${new Date(expires).toISOString()})`}`,
        };
      } else if (status.phase === 'Connected' && status.lastHeartbeat) {
        const deadline =
          Date.parse(status.lastHeartbeat) +
          HEARTBEAT_REFRESH_MS +
          (gw.spec.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_S) * 1000;
        if (deadline <= now)
          lost = {
            reason: 'HeartbeatMissed',
            message: `no heartbeat since ${status.lastHeartbeat} (gateway ${gatewayName})`,
          };
        else requeueAfterMs = deadline - now + SLACK_MS;
      }
      if (lost) phase = 'Unreachable';
    }

    // Once marked Unreachable the device is no longer held: keep the reason it was lost for.
    const ready = conditionOf(status.conditions, 'Ready');
    if (
      !lost &&
      phase === 'Unreachable' &&
      ready &&
      /^(GatewayLost|HeartbeatMissed)$/.test(ready.reason)
    )
      lost = { reason: ready.reason, message: ready.message };
    const conditions: ConditionInput[] = [
      phase === 'Connected'
        ? {
            type: 'Ready',
            status: 'True',
            reason: 'Connected',
            message: `connected to gateway ${status.gateway}`,
          }
        : {
            type: 'Ready',
            status: 'False',
            reason: lost?.reason ?? phase ?? 'Pending',
            message: lost?.message ?? `device is ${phase ?? 'Pending'}`,
          },
      revoked
        ? {
            type: 'Revoked',
            status: 'True',
            reason: 'Revoked',
            message: 'spec.revoked is true: its certificates are on the revocation list',
          }
        : {
            type: 'Revoked',
            status: 'False',
            reason: 'NotRevoked',
            message: 'the device may connect',
          },
    ];
    const next: DeviceStatus = {
      ...status,
      ...(phase ? { phase } : {}),
      conditions: setConditions(status.conditions, conditions, nowTime()),
    };
    if (!sameJson(status, next)) {
      const saved = await client.replace<Device>(`${path}/status`, { ...dev, status: next });
      devices.assume(saved);
      if (lost && status.phase !== 'Unreachable') {
        events.record(withKind(saved, 'Device'), 'Warning', lost.reason, lost.message);
        log('device: unreachable', { device: name, gateway: status.gateway, reason: lost.reason });
      }
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  };
}
