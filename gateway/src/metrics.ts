import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, one registry per gateway so tests can run several. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({
    name: 'wasmbed_gateway_sessions',
    help: 'Certified device sessions open',
    registers: [this.registry],
  });
  readonly handshakes = new Counter({
    name: 'wasmbed_gateway_tls_handshakes_total',
    help: 'TLS handshakes by listener and outcome',
    labelNames: ['listener', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly enrollments = new Counter({
    name: 'wasmbed_gateway_enrollments_total',
    help: 'Enrollment attempts by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly framesIn = new Counter({
    name: 'wasmbed_gateway_frames_received_total',
    help: 'Frames received from devices by message type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'wasmbed_gateway_refusals_total',
    help: 'Frames or sessions refused, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly deploys = new Counter({
    name: 'wasmbed_gateway_deploys_total',
    help: 'Module deploys to devices by outcome: sent (committed), failed, refused before sending',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly appsKept = new Counter({
    name: 'wasmbed_gateway_apps_kept_total',
    help: 'Apps a connecting device already ran as wanted, so not sent again (e.g. after a takeover)',
    registers: [this.registry],
  });
  readonly apiWrites = new Counter({
    name: 'wasmbed_gateway_api_writes_total',
    help: 'Status writes to the API server by object kind and outcome (written, refused, failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly reportsCoalesced = new Counter({
    name: 'wasmbed_gateway_reports_coalesced_total',
    help: 'Device and app reports folded into a pending write or found already written',
    registers: [this.registry],
  });
  readonly reportsDropped = new Counter({
    name: 'wasmbed_gateway_reports_dropped_total',
    help: 'Reports given up: object gone, held by another gateway, or retried too often',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly pendingWrites = new Gauge({
    name: 'wasmbed_gateway_pending_status_writes',
    help: 'Objects with a status change not yet written to the API server',
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'wasmbed_gateway_events_total',
    help: 'Kubernetes Events by outcome (recorded, dropped by the rate limit, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly leaseRenewals = new Counter({
    name: 'wasmbed_gateway_lease_renewals_total',
    help: "Renewals of this gateway's Lease by outcome",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
