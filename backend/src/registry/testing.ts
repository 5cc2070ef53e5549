import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findResource } from './resources';
import type { ApiError, RequestContext, ResourceDescriptor, WatchEvent } from './types';

/** Shared pieces of the registry's Jest tests (not used by the server). */

export function resource(group: string, version: string, plural: string): ResourceDescriptor {
  const r = findResource(group, version, plural);
  if (!r) throw new Error(`no resource ${plural}`);
  return r;
}

export const devices = () => resource('wasmbed.io', 'v1alpha1', 'devices');
export const gateways = () => resource('wasmbed.io', 'v1alpha1', 'gateways');
export const configmaps = () => resource('', 'v1', 'configmaps');
export const namespaces = () => resource('', 'v1', 'namespaces');
export const secrets = () => resource('', 'v1', 'secrets');

export function context(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    user: { name: 'admin', groups: ['system:masters'] },
    dryRun: false,
    fieldValidation: 'Warn',
    userAgent: 'registry-test/v0',
    warnings: [],
    ...overrides,
  };
}

export function device(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'wasmbed.io/v1alpha1',
    kind: 'Device',
    metadata: { name, ...extra },
    spec: { board: 'mps2-an385', enrollment: { publicKey: 'PEM' } },
  };
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'registry-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The Status of a rejected call (fails the test when the call succeeds). */
export async function refusal(p: Promise<unknown>): Promise<ApiError['status']> {
  try {
    await p;
  } catch (e) {
    const status = (e as ApiError).status;
    if (!status) throw e;
    return status;
  }
  throw new Error('expected the call to be refused');
}

/** Collects watch events as `TYPE name rv` lines. */
export function recorder() {
  const events: WatchEvent[] = [];
  return {
    events,
    onEvent: (e: WatchEvent) => events.push(e),
    lines: () =>
      events.map(e => {
        const m = (e.object as { metadata: { name?: string; resourceVersion?: string } }).metadata;
        return `${e.type} ${m.name ?? ''} ${m.resourceVersion}`.replace('  ', ' ');
      }),
  };
}

/** Lets queued setImmediate work (watch openings, commits) run. */
export const settle = () => new Promise(resolve => setTimeout(resolve, 20));
