/**
 * Field management compared with a real kube-apiserver (v1.32.13, test/cluster/): the same
 * sequence of applies, patches and updates runs against kube and against these functions
 * (with a small stand-in for what the registry adds on every write: uid, timestamps, the
 * status/spec split), and after every step the objects, their managedFields and any error
 * Status must be the same, once uid, resourceVersion, generation and times are set aside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, type KubeServer } from '../../../../test/cluster/kubeApiServer';
import { kubeRequest } from '../../../../test/cluster/kubeRequest';
import { writeTokenFile } from '../../../../test/cluster/tokens';
import type { KubeObject, ResourceDescriptor } from '../types';
import { descriptor, FakeRegistryWrites, type Outcome } from './fakeRegistryWrites';
import { deepClone } from './jsonValue';
import { STEPS, type Step } from './kubeComparison.steps';

jest.setTimeout(120_000);

/** What must differ between two servers (and between two runs) is set aside. */
function normalise(o: Outcome): Outcome {
  const body = deepClone(o.body) as Record<string, unknown>;
  const causes = (body?.details as { causes?: { field?: string; message?: string }[] })?.causes;
  // kube lists the causes of a conflict with several managers in Go map order (random).
  causes?.sort((a, b) => `${a.message}${a.field}`.localeCompare(`${b.message}${b.field}`));
  if (body && body.kind !== 'Status') {
    const meta = body.metadata as Record<string, unknown>;
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'generation']) delete meta[k];
    const managed = meta.managedFields as Record<string, unknown>[] | undefined;
    if (managed) {
      for (const e of managed) e.time = e.time === undefined ? '(none)' : '(time)';
      // kube orders entries by their time in seconds: runs straddling a second may differ.
      managed.sort((a, b) =>
        JSON.stringify([a.operation, a.manager, a.subresource]).localeCompare(
          JSON.stringify([b.operation, b.manager, b.subresource]),
        ),
      );
    }
  }
  return { status: o.status, body };
}

function path(r: ResourceDescriptor, name: string | undefined, ns = 'default') {
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const scope = r.namespaced ? `/namespaces/${ns}` : '';
  return `${base}${scope}/${r.resource}${name ? `/${name}` : ''}`;
}

async function onKube(kube: KubeServer, token: string, step: Step): Promise<Outcome> {
  const r = descriptor(step.resource);
  let url = `${kube.url}${path(r, step.op === 'create' ? undefined : step.name)}`;
  if (step.subresource) url += `/${step.subresource}`;
  const query = new URLSearchParams({ fieldManager: step.manager });
  if (step.op === 'apply' && step.force) query.set('force', 'true');
  const contentType = {
    create: 'application/json',
    update: 'application/json',
    apply: 'application/apply-patch+yaml',
    merge: 'application/merge-patch+json',
    json: 'application/json-patch+json',
    strategic: 'application/strategic-merge-patch+json',
  }[step.op];
  const method = step.op === 'create' ? 'POST' : step.op === 'update' ? 'PUT' : 'PATCH';
  let body = 'patch' in step ? step.patch : step.body;
  if (step.op === 'update') {
    // An update carries the resourceVersion it read, as kubectl replace does.
    const current = await kubeRequest(`${kube.url}${path(r, step.name)}`, kube.caPem, { token });
    const rv = (current.json as KubeObject).metadata.resourceVersion;
    body = deepClone(body) as KubeObject;
    (body as KubeObject).metadata.resourceVersion = rv;
  }
  const res = await kubeRequest(`${url}?${query}`, kube.caPem, {
    method,
    token,
    body,
    contentType,
  });
  return { status: res.status, body: res.json };
}

describe('field management against kube-apiserver v1.32.13', () => {
  let kube: KubeServer;
  let token: string;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'fields-kube-'));
    const tokens = writeTokenFile(workDir);
    token = tokens.tokens.admin;
    kube = await startKubeApiServer({ workDir, tokenAuthFile: tokens.file });
  });

  afterAll(async () => {
    await kube?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('gives the same objects, managedFields and errors for every step', async () => {
    const mirror = new FakeRegistryWrites();
    const differences: string[] = [];
    for (const step of STEPS) {
      const kubeOutcome = normalise(await onKube(kube, token, step));
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const ours = normalise(mirror.run(step, now));
      try {
        expect(ours).toEqual(kubeOutcome);
      } catch (e) {
        differences.push(`${step.what}:\n${(e as Error).message}`);
      }
    }
    expect(differences).toEqual([]);
  });
});
