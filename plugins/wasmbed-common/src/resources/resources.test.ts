import { z } from 'zod';
import {
  applicationSchema,
  deviceSchema,
  gatewaySchema,
  toStructuralSchema,
  UnsupportedSchemaError,
} from '..';

const meta = { name: 'dev-1', namespace: 'default', labels: { site: 'lab' } };

function issues(result: { success: boolean; error?: z.ZodError }) {
  return result.error?.issues.map(i => `${i.path.join('.')}: ${i.message}`) ?? [];
}

describe('Device', () => {
  const device = {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Device',
    metadata: meta,
    spec: {
      board: 'mps2-an385',
      enrollment: { bootstrapTokenSecretRef: { name: 'tok', key: 'token' } },
    },
  };

  it('accepts a device with a bootstrap token', () => {
    expect(deviceSchema.safeParse(device).success).toBe(true);
  });

  it('rejects a board outside the catalogue', () => {
    const r = deviceSchema.safeParse({ ...device, spec: { ...device.spec, board: 'esp32' } });
    expect(issues(r)[0]).toMatch(/^spec\.board: Invalid enum value/);
  });

  it('rejects an architecture that does not match the board', () => {
    const r = deviceSchema.safeParse({
      ...device,
      spec: { ...device.spec, architecture: 'armv8-m.main' },
    });
    expect(issues(r)).toEqual(['spec.architecture: architecture does not match the board']);
  });

  it('requires exactly one enrollment method', () => {
    const both = { bootstrapTokenSecretRef: { name: 'tok', key: 'k' }, publicKey: 'PEM' };
    expect(
      issues(deviceSchema.safeParse({ ...device, spec: { ...device.spec, enrollment: both } })),
    ).toEqual(['spec.enrollment: set exactly one of bootstrapTokenSecretRef and publicKey']);
    expect(
      deviceSchema.safeParse({ ...device, spec: { ...device.spec, enrollment: {} } }).success,
    ).toBe(false);
  });

  it('rejects names Kubernetes would reject', () => {
    expect(deviceSchema.safeParse({ ...device, metadata: { name: 'Dev_1' } }).success).toBe(false);
  });
});

describe('Application', () => {
  const app = {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'blinky' },
    spec: {
      module: { inline: 'AGFzbQEAAAA=' },
      target: { selector: { matchLabels: { site: 'lab' } } },
    },
  };

  it('accepts an inline module targeted by label and fills limit defaults', () => {
    const r = applicationSchema.parse({ ...app, spec: { ...app.spec, limits: {} } });
    expect(r.spec.limits).toEqual({
      memoryBytes: 65536,
      fuelPerActivation: 1_000_000,
      maxRestarts: 3,
    });
  });

  it('requires exactly one module source and one target', () => {
    const twoSources = {
      ...app.spec,
      module: { inline: 'AA==', url: 'https://example.test/a.wasm' },
    };
    expect(issues(applicationSchema.safeParse({ ...app, spec: twoSources }))).toEqual([
      'spec.module: set exactly one of inline, url and ref',
    ]);
    const noTarget = { ...app.spec, target: {} };
    expect(issues(applicationSchema.safeParse({ ...app, spec: noTarget }))).toEqual([
      'spec.target: set exactly one of devices, selector and all',
    ]);
  });

  it('rejects inline bytes that are not base64', () => {
    const r = applicationSchema.safeParse({
      ...app,
      spec: { ...app.spec, module: { inline: 'not base64!' } },
    });
    expect(issues(r)).toEqual(['spec.module.inline: must be base64']);
  });
});

describe('Gateway', () => {
  it('fills the documented defaults', () => {
    const gw = gatewaySchema.parse({
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Gateway',
      metadata: { name: 'gw-1' },
      spec: { endpoint: '127.0.0.1:8443' },
    });
    expect(gw.spec).toMatchObject({ tlsPort: 8443, heartbeatTimeoutSeconds: 90, capacity: 10000 });
  });

  it('rejects an endpoint without a port', () => {
    const r = gatewaySchema.safeParse({
      apiVersion: 'wasmbed.io/v1alpha1',
      kind: 'Gateway',
      metadata: { name: 'gw-1' },
      spec: { endpoint: 'gateway.local' },
    });
    expect(issues(r)).toEqual(['spec.endpoint: must be HOST:PORT']);
  });
});

describe('toStructuralSchema', () => {
  it('refuses a refinement that has no CEL twin, rather than dropping the check', () => {
    const refined = z.object({ a: z.string() }).refine(v => v.a !== 'x');
    expect(() => toStructuralSchema(refined, '.spec')).toThrow(UnsupportedSchemaError);
  });

  it('refuses unions, which are not structural', () => {
    expect(() => toStructuralSchema(z.union([z.string(), z.number()]))).toThrow(/ZodUnion/);
  });
});
