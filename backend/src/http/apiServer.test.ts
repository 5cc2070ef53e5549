import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startApiServer, type ApiServer } from '../server';
import { request } from './testClient';

const TOKENS = {
  admin: 'tok-admin',
  editor: 'tok-editor',
  viewer: 'tok-viewer',
  gateway: 'tok-gateway',
  nobody: 'tok-nobody',
};

const DEVICE = {
  apiVersion: 'wasmbed.io/v1alpha1',
  kind: 'Device',
  metadata: { name: 'dev-1', labels: { fleet: 'a' } },
  spec: { board: 'mps2-an385', enrollment: { publicKey: 'key' } },
};

describe('the API server over HTTPS', () => {
  let dir: string;
  let server: ApiServer;
  const call = (
    method: string,
    p: string,
    token: string | undefined,
    options: { headers?: Record<string, string>; body?: string | Buffer } = {},
  ) => request(server.url, server.caPem, method, p, { ...options, ...(token ? { token } : {}) });
  const json = { 'Content-Type': 'application/json' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'api-http-'));
    const tokenFile = path.join(dir, 'tokens.csv');
    writeFileSync(
      tokenFile,
      [
        `${TOKENS.admin},admin,uid-admin,"system:masters"`,
        `${TOKENS.editor},editor,uid-editor,"wasmbed:editors"`,
        `${TOKENS.viewer},viewer,uid-viewer,"wasmbed:viewers"`,
        `${TOKENS.gateway},wasmbed:gateway:gw-a,uid-gw,"wasmbed:gateways"`,
        `${TOKENS.nobody},nobody,uid-nobody`,
        '',
      ].join('\n'),
    );
    server = await startApiServer({
      dataDir: path.join(dir, 'data'),
      tokenAuthFile: tokenFile,
      log: () => {},
    });
    const created = await call(
      'POST',
      '/apis/wasmbed.io/v1alpha1/namespaces/default/devices',
      TOKENS.admin,
      {
        headers: json,
        body: JSON.stringify(DEVICE),
      },
    );
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('authentication', () => {
    it('answers 401 Unauthorized without a token or with an unknown one', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const res = await call('GET', '/api/v1/namespaces', token);
        expect(res.status).toBe(401);
        expect(res.json()).toEqual({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'Unauthorized',
          reason: 'Unauthorized',
          code: 401,
        });
      }
    });

    it('serves health without a token, but not /version', async () => {
      for (const p of ['/healthz', '/livez', '/readyz']) {
        const res = await call('GET', p, undefined);
        expect([res.status, res.text]).toEqual([200, 'ok']);
      }
      expect((await call('GET', '/version', undefined)).status).toBe(401);
    });

    it('accepts the generated admin token of the kubeconfig', async () => {
      const token = (await import('node:fs'))
        .readFileSync(path.join(dir, 'data', 'admin.token'), 'utf8')
        .trim();
      expect((await call('GET', '/api/v1/namespaces', token)).status).toBe(200);
    });
  });

  describe('authorisation by role', () => {
    const devices = '/apis/wasmbed.io/v1alpha1/namespaces/default/devices';
    it.each([
      ['viewer', 'GET', devices, 200],
      ['viewer', 'GET', '/api/v1/namespaces/default/secrets', 403],
      ['viewer', 'POST', devices, 403],
      ['viewer', 'GET', `${devices}/dev-1/status`, 403],
      ['editor', 'GET', '/api/v1/namespaces/default/secrets', 200],
      ['editor', 'DELETE', '/api/v1/namespaces/default', 403],
      ['gateway', 'GET', `${devices}/dev-1`, 200],
      ['gateway', 'DELETE', `${devices}/dev-1`, 403],
      ['nobody', 'GET', devices, 403],
      ['nobody', 'GET', '/apis', 200],
      ['nobody', 'GET', '/version', 200],
      ['nobody', 'GET', '/openapi/v3', 200],
    ] as const)('%s %s %s → %d', async (user, method, p, code) => {
      const res = await call(
        method,
        p,
        TOKENS[user],
        method === 'POST' ? { headers: json, body: '{}' } : {},
      );
      expect(res.status).toBe(code);
    });

    it('authorises before routing: 403 about a resource that does not exist, 404 only for who may see it', async () => {
      const widgets = '/apis/wasmbed.io/v1alpha1/namespaces/default/widgets';
      const refused = await call('GET', widgets, TOKENS.editor);
      expect([refused.status, refused.json().message]).toEqual([
        403,
        'widgets.wasmbed.io is forbidden: User "editor" cannot list resource "widgets" in API group "wasmbed.io" in the namespace "default"',
      ]);
      const missing = await call('GET', widgets, TOKENS.admin);
      expect([missing.status, missing.text]).toEqual([404, '404 page not found\n']);
      const core = await call('GET', '/api/v1/namespaces/default/widgets', TOKENS.admin);
      expect([core.status, core.json().message]).toEqual([
        404,
        'the server could not find the requested resource',
      ]);
      const console = await call(
        'GET',
        '/apis/wasmbed.io/v1alpha1/namespaces/default/devices/dev-1/console',
        TOKENS.admin,
      );
      expect([console.status, console.json().message]).toEqual([
        404,
        'devices.wasmbed.io "dev-1" not found',
      ]);
    });

    it('words a refusal as kube-apiserver does', async () => {
      const res = await call('POST', devices, TOKENS.viewer, {
        headers: json,
        body: JSON.stringify(DEVICE),
      });
      expect(res.json()).toMatchObject({
        reason: 'Forbidden',
        code: 403,
        message:
          'devices.wasmbed.io is forbidden: User "viewer" cannot create resource "devices" in API group "wasmbed.io" in the namespace "default"',
        details: { group: 'wasmbed.io', kind: 'devices' },
      });
      const path403 = await call('GET', '/metrics', TOKENS.nobody);
      expect(path403.json().message).toBe('forbidden: User "nobody" cannot get path "/metrics"');
    });

    it('lets only system:masters impersonate (kubectl --as), as the impersonated user', async () => {
      const asViewer = await call('GET', '/api/v1/namespaces/default/secrets', TOKENS.admin, {
        headers: { 'Impersonate-User': 'viewer', 'Impersonate-Group': 'wasmbed:viewers' },
      });
      expect([asViewer.status, asViewer.json().message]).toEqual([
        403,
        'secrets is forbidden: User "viewer" cannot list resource "secrets" in API group "" in the namespace "default"',
      ]);
      const escalate = await call('GET', '/api/v1/namespaces', TOKENS.viewer, {
        headers: { 'Impersonate-User': 'admin' },
      });
      expect([escalate.status, escalate.json().message]).toEqual([
        403,
        'users "admin" is forbidden: User "viewer" cannot impersonate resource "users" in API group "" at the cluster scope',
      ]);
    });

    it('answers SelfSubjectAccessReviews (kubectl auth can-i) with the same decision and RBAC reason', async () => {
      const ask = async (token: string, spec: object) =>
        (
          await call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', token, {
            headers: json,
            body: JSON.stringify({ spec }),
          })
        ).json();
      const statusOf = {
        namespace: 'default',
        verb: 'patch',
        group: 'wasmbed.io',
        resource: 'gateways',
        subresource: 'status',
      };
      expect(
        (await ask(TOKENS.gateway, { resourceAttributes: { ...statusOf, name: 'gw-a' } })).status,
      ).toEqual({
        allowed: true,
        reason:
          'RBAC: allowed by ClusterRoleBinding "wasmbed:gateway:gw-a" of ClusterRole "wasmbed:gateway:gw-a" to User "wasmbed:gateway:gw-a"',
      });
      expect(
        (await ask(TOKENS.gateway, { resourceAttributes: { ...statusOf, name: 'gw-b' } })).status,
      ).toEqual({ allowed: false });
      expect(
        (
          await ask(TOKENS.viewer, {
            resourceAttributes: { verb: 'list', resource: 'secrets', namespace: 'default' },
          })
        ).status.allowed,
      ).toBe(false);
      expect(
        (await ask(TOKENS.nobody, { nonResourceAttributes: { verb: 'get', path: '/version' } }))
          .status.allowed,
      ).toBe(true);
      const invalid = await call(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        TOKENS.nobody,
        { headers: json, body: '{"spec":{}}' },
      );
      expect(invalid.status).toBe(422);
    });

    it('lets a gateway write the status of its own Gateway only', async () => {
      const patch = {
        headers: { 'Content-Type': 'application/merge-patch+json' },
        body: '{"status":{}}',
      };
      const other = await call(
        'PATCH',
        '/apis/wasmbed.io/v1alpha1/namespaces/default/gateways/gw-b/status',
        TOKENS.gateway,
        patch,
      );
      expect(other.status).toBe(403);
      expect(other.json().message).toContain('cannot patch resource "gateways/status"');
      const own = await call(
        'PATCH',
        '/apis/wasmbed.io/v1alpha1/namespaces/default/gateways/gw-a/status',
        TOKENS.gateway,
        patch,
      );
      expect(own.status).toBe(404); // allowed; the Gateway does not exist
    });
  });

  describe('discovery', () => {
    it('lists the wasmbed.io resources with their status subresources', async () => {
      const res = (await call('GET', '/apis/wasmbed.io/v1alpha1', TOKENS.nobody)).json();
      expect(res.groupVersion).toBe('wasmbed.io/v1alpha1');
      const names = res.resources.map((r: { name: string }) => r.name);
      expect(names).toEqual([
        'appinstances',
        'appinstances/status',
        'applications',
        'applications/status',
        'devices',
        'devices/status',
        'gateways',
        'gateways/status',
      ]);
      expect(res.resources[4]).toMatchObject({
        kind: 'Device',
        namespaced: true,
        shortNames: ['wdev'],
        categories: ['wasmbed'],
      });
    });

    it('answers aggregated discovery (v2) when asked, legacy otherwise', async () => {
      const accept =
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
      const res = await call('GET', '/apis', TOKENS.viewer, { headers: { Accept: accept } });
      expect(res.headers['content-type']).toBe(
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
      );
      const groups = res.json().items.map((i: { metadata: { name: string } }) => i.metadata.name);
      expect(groups).toEqual(['coordination.k8s.io', 'wasmbed.io']);
      const wasmbed = res.json().items[1].versions[0].resources;
      expect(wasmbed.find((r: { resource: string }) => r.resource === 'devices')).toMatchObject({
        scope: 'Namespaced',
        singularResource: 'device',
        responseKind: { group: 'wasmbed.io', version: 'v1alpha1', kind: 'Device' },
        subresources: [{ subresource: 'status', verbs: ['get', 'patch', 'update'] }],
      });
      const core = await call('GET', '/api', TOKENS.viewer, { headers: { Accept: accept } });
      expect(
        core.json().items[0].versions[0].resources.map((r: { resource: string }) => r.resource),
      ).toEqual(['configmaps', 'events', 'namespaces', 'secrets']);
      expect((await call('GET', '/apis', TOKENS.viewer)).json().kind).toBe('APIGroupList');
      const etag = String(res.headers.etag);
      const again = await call('GET', '/apis', TOKENS.viewer, {
        headers: { Accept: accept, 'If-None-Match': etag },
      });
      expect([again.status, again.text]).toEqual([304, '']);
    });

    it('reports the emulated Kubernetes version with our own as build metadata', async () => {
      const v = (await call('GET', '/version', TOKENS.viewer)).json();
      expect(v).toMatchObject({ major: '1', minor: '32' });
      expect(v.gitVersion).toMatch(/^v1\.32\.\d+\+wasmbed\./);
    });
  });

  describe('OpenAPI', () => {
    it('indexes one v3 document per group-version, addressed by its hash', async () => {
      const index = (await call('GET', '/openapi/v3', TOKENS.nobody)).json();
      expect(Object.keys(index.paths)).toEqual([
        'api/v1',
        'apis/coordination.k8s.io/v1',
        'apis/wasmbed.io/v1alpha1',
      ]);
      const url: string = index.paths['apis/wasmbed.io/v1alpha1'].serverRelativeURL;
      expect(url).toMatch(/^\/openapi\/v3\/apis\/wasmbed\.io\/v1alpha1\?hash=[0-9A-F]{128}$/);
      const doc = await call('GET', url, TOKENS.nobody);
      expect(doc.headers['cache-control']).toBe('public, immutable');
      const device = doc.json().components.schemas['io.wasmbed.v1alpha1.Device'];
      expect(device['x-kubernetes-group-version-kind']).toEqual([
        { group: 'wasmbed.io', kind: 'Device', version: 'v1alpha1' },
      ]);
      expect(device.properties.spec.properties.enrollment.properties.publicKey.type).toBe('string');
      // kubectl looks for fieldValidation on the PATCH operation before it validates server-side.
      const patch =
        doc.json().paths['/apis/wasmbed.io/v1alpha1/namespaces/{namespace}/devices/{name}'].patch;
      expect(patch['x-kubernetes-group-version-kind']).toEqual({
        group: 'wasmbed.io',
        version: 'v1alpha1',
        kind: 'Device',
      });
      expect(patch.parameters.map((p: { name: string }) => p.name)).toContain('fieldValidation');
      const stale = await call(
        'GET',
        '/openapi/v3/apis/wasmbed.io/v1alpha1?hash=OLD',
        TOKENS.nobody,
      );
      expect([stale.status, stale.headers.location]).toEqual([301, url]);
    });

    it('serves v2 as JSON and refuses a protobuf-only Accept with 406', async () => {
      const v2 = await call('GET', '/openapi/v2', TOKENS.nobody);
      expect(
        v2.json().definitions['io.wasmbed.v1alpha1.Device'].properties.metadata.allOf[0].$ref,
      ).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
      const pb = await call('GET', '/openapi/v2', TOKENS.nobody, {
        headers: { Accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
      });
      expect(pb.status).toBe(406);
    });
  });

  describe('Table', () => {
    const table = { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
    it('lists devices with the CRD printer columns, dates as ages, missing values as null', async () => {
      const res = (
        await call('GET', '/apis/wasmbed.io/v1alpha1/namespaces/default/devices', TOKENS.viewer, {
          headers: table,
        })
      ).json();
      expect(res.kind).toBe('Table');
      expect(
        res.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority]),
      ).toEqual([
        ['Name', 0],
        ['Board', 0],
        ['Phase', 0],
        ['Gateway', 0],
        ['Firmware', 1],
        ['Last-Heartbeat', 0],
        ['Age', 0],
      ]);
      expect(res.rows).toHaveLength(1);
      expect(res.rows[0].cells.slice(0, 6)).toEqual([
        'dev-1',
        'mps2-an385',
        null,
        null,
        null,
        null,
      ]);
      expect(res.rows[0].cells[6]).toMatch(/^\d+s$/);
      expect(res.rows[0].object).toMatchObject({
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name: 'dev-1' },
      });
    });

    it('counts ConfigMap keys as kube does, and honours includeObject=None', async () => {
      const cm = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm-t' },
        data: { a: '1' },
        binaryData: { b: 'AA==' },
      };
      expect(
        (
          await call('POST', '/api/v1/namespaces/default/configmaps', TOKENS.editor, {
            headers: json,
            body: JSON.stringify(cm),
          })
        ).status,
      ).toBe(201);
      const res = (
        await call(
          'GET',
          '/api/v1/namespaces/default/configmaps/cm-t?includeObject=None',
          TOKENS.viewer,
          { headers: table },
        )
      ).json();
      expect(res.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
        'Name',
        'Data',
        'Age',
      ]);
      expect(res.rows[0].cells.slice(0, 2)).toEqual(['cm-t', 2]);
      expect(res.rows[0].object).toBeNull();
    });
  });

  describe('bodies', () => {
    const configmaps = '/api/v1/namespaces/default/configmaps';
    it('creates from YAML and refuses malformed YAML and JSON with 400', async () => {
      const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n';
      const ok = await call('POST', configmaps, TOKENS.editor, {
        headers: { 'Content-Type': 'application/yaml' },
        body: yaml,
      });
      expect([ok.status, ok.json().data]).toEqual([201, { k: 'v' }]);
      const badYaml = await call('POST', configmaps, TOKENS.editor, {
        headers: { 'Content-Type': 'application/yaml' },
        body: 'metadata: [x',
      });
      expect(badYaml.status).toBe(400);
      expect(badYaml.json().message).toMatch(
        /^the object provided is unrecognized \(must be of type ConfigMap\): yaml: /,
      );
      const badJson = await call('POST', configmaps, TOKENS.editor, { headers: json, body: '' });
      expect(badJson.json()).toMatchObject({
        code: 400,
        reason: 'BadRequest',
        message:
          "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)",
      });
    });

    it('refuses a wrong kind, a wrong apiVersion and a name that differs from the URL', async () => {
      const wrongKind = await call(
        'POST',
        '/apis/wasmbed.io/v1alpha1/namespaces/default/devices',
        TOKENS.editor,
        {
          headers: json,
          body: JSON.stringify({ ...DEVICE, kind: 'Gateway' }),
        },
      );
      expect([wrongKind.status, wrongKind.json().message]).toEqual([
        422,
        'Gateway.wasmbed.io "dev-1" is invalid: kind: Invalid value: "Gateway": must be Device',
      ]);
      const wrongVersion = await call('POST', configmaps, TOKENS.editor, {
        headers: json,
        body: '{"apiVersion":"v2","kind":"ConfigMap"}',
      });
      expect(wrongVersion.status).toBe(400);
      const rename = await call('PUT', `${configmaps}/cm-t`, TOKENS.editor, {
        headers: json,
        body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"}}',
      });
      expect(rename.json().message).toBe(
        'the name of the object (other) does not match the name on the URL (cm-t)',
      );
      const type = await call('POST', configmaps, TOKENS.editor, {
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      });
      expect(type.status).toBe(415);
    });

    it('refuses a body over 3 MiB with 413, declared or streamed, and keeps serving', async () => {
      const big = Buffer.alloc(3 * 1024 * 1024 + 1, 0x61);
      const declared = await call('POST', configmaps, TOKENS.editor, { headers: json, body: big });
      expect([declared.status, declared.json().message]).toEqual([
        413,
        'Request entity too large: limit is 3145728',
      ]);
      const streamed = await new Promise<number>((resolve, reject) => {
        const req = https.request(
          `${server.url}${configmaps}`,
          {
            method: 'POST',
            ca: server.caPem,
            agent: false,
            headers: {
              Authorization: `Bearer ${TOKENS.editor}`,
              'Content-Type': 'application/json',
              'Transfer-Encoding': 'chunked',
            },
          },
          res => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        // Writes until the server answers; it must not wait for (or buffer) the whole stream.
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (sent < 8 * 1024 * 1024 && req.write(chunk)) sent += chunk.length;
          if (sent < 8 * 1024 * 1024)
            req.once('drain', () => {
              sent += chunk.length;
              pump();
            });
        };
        pump();
      });
      expect(streamed).toBe(413);
      expect((await call('GET', '/healthz', undefined)).status).toBe(200);
    });
  });

  describe('list', () => {
    it('streams a full list page by page (600 objects: two pages of 500), the same body as one page holding it all', async () => {
      const cms = '/api/v1/namespaces/kube-public/configmaps';
      for (let start = 0; start < 600; start += 100) {
        const batch = Array.from({ length: 100 }, (_, i) => {
          const name = `cm-${String(start + i).padStart(4, '0')}`;
          const body = {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name },
            data: { k: 'é😀' },
          };
          return call('POST', cms, TOKENS.admin, { headers: json, body: JSON.stringify(body) });
        });
        expect((await Promise.all(batch)).map(r => r.status)).toEqual(Array(100).fill(201));
      }
      const streamed = await call('GET', cms, TOKENS.admin);
      expect(streamed.status).toBe(200);
      expect(streamed.headers['transfer-encoding']).toBe('chunked');
      const whole = await call('GET', `${cms}?limit=5000`, TOKENS.admin);
      expect(streamed.text).toBe(whole.text);
      const items = (streamed.json() as { items: { metadata: { name: string }; data: object }[] })
        .items;
      expect(items.map(i => i.metadata.name)).toEqual(
        Array.from({ length: 600 }, (_, i) => `cm-${String(i).padStart(4, '0')}`),
      );
      expect(items[599]!.data).toEqual({ k: 'é😀' });
    }, 30_000);
  });

  describe('watch', () => {
    it('streams events as JSON lines, in order', async () => {
      const list = (
        await call('GET', '/apis/wasmbed.io/v1alpha1/namespaces/default/devices', TOKENS.viewer)
      ).json();
      const events: { type: string; object: { metadata: { name: string } } }[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const req = https.get(
          `${server.url}/apis/wasmbed.io/v1alpha1/namespaces/default/devices?watch=1&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=5`,
          { ca: server.caPem, agent: false, headers: { Authorization: `Bearer ${TOKENS.viewer}` } },
          res => {
            expect(res.headers['content-type']).toBe('application/json');
            let buffer = '';
            res.on('data', (c: Buffer) => {
              buffer += c.toString();
              let nl;
              while ((nl = buffer.indexOf('\n')) >= 0) {
                events.push(JSON.parse(buffer.slice(0, nl)));
                buffer = buffer.slice(nl + 1);
                if (events.length === 2) {
                  req.destroy();
                  resolve();
                }
              }
            });
          },
        );
        req.on('error', e => (events.length >= 2 ? resolve() : reject(e)));
      });
      const body = JSON.stringify({ ...DEVICE, metadata: { name: 'dev-2' } });
      await new Promise(r => setTimeout(r, 200));
      expect(
        (
          await call(
            'POST',
            '/apis/wasmbed.io/v1alpha1/namespaces/default/devices',
            TOKENS.editor,
            { headers: json, body },
          )
        ).status,
      ).toBe(201);
      expect(
        (
          await call(
            'DELETE',
            '/apis/wasmbed.io/v1alpha1/namespaces/default/devices/dev-2',
            TOKENS.editor,
          )
        ).status,
      ).toBe(200);
      await done;
      expect(events.map(e => [e.type, e.object.metadata.name])).toEqual([
        ['ADDED', 'dev-2'],
        ['DELETED', 'dev-2'],
      ]);
    });
  });

  describe('TLS material', () => {
    it('serves a certificate for 127.0.0.1, ::1 and localhost signed by the CA, keys owner-only', () => {
      const data = path.join(dir, 'data');
      for (const f of ['ca.key', 'serving.key', 'admin.token', 'kubeconfig']) {
        expect(statSync(path.join(data, f)).mode & 0o777).toBe(0o600);
      }
      const serving = new X509Certificate(readFileSync(path.join(data, 'serving.crt')));
      expect(serving.verify(new X509Certificate(server.caPem).publicKey)).toBe(true);
      expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(serving.checkIP('::1')).toBe('::1');
      expect(serving.checkHost('localhost')).toBe('localhost');
    });
  });
});
