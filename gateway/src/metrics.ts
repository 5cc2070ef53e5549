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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
