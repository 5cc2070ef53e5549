import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  customResourceDefinition,
  KINDS,
  type KindDefinition,
} from '@wasmbed/plugin-wasmbed-common';
import type { ResourceDescriptor } from '../registry/types';
import { groupVersionOf } from '../registry/resources';
import { send } from '../http/respond';
import { notAcceptable, pathNotFound } from '../http/status';
import { parseAccept } from '../http/negotiation';
import { KUBERNETES_VERSION } from '../http/version';
import { pathsFor } from './paths';
import {
  CORE,
  CORE_SCHEMAS,
  COORDINATION,
  LIST_METADATA_DESCRIPTION,
  META_SCHEMAS,
  refWith,
  typeMetaProperties,
  type Schema,
} from './metaSchemas';

/** The OpenAPI name of a kind, as kube-apiserver names it (CRDs: reversed group, version, kind). */
export function definitionName(r: { group: string; version: string; kind: string }): string {
  if (r.group === '') return `${CORE}.${r.kind}`;
  if (r.group === 'coordination.k8s.io') return `${COORDINATION}.${r.kind}`;
  return `${r.group.split('.').reverse().join('.')}.${r.version}.${r.kind}`;
}

/**
 * A wasmbed.io kind's schema exactly as its CRD publishes it, with apiVersion, kind and
 * metadata described as kube-apiserver describes them for every custom resource.
 */
function customResourceSchema(def: KindDefinition, r: ResourceDescriptor): Schema {
  const crd = customResourceDefinition(def);
  const schema = structuredClone(crd.spec.versions[0]!.schema.openAPIV3Schema) as Schema;
  schema.properties = { ...schema.properties, ...typeMetaProperties() };
  schema['x-kubernetes-group-version-kind'] = [
    { group: r.group, kind: r.kind, version: r.version },
  ];
  return schema;
}

function listSchema(r: ResourceDescriptor): Schema {
  return {
    type: 'object',
    description: `${r.listKind} is a list of ${r.kind}`,
    required: ['items'],
    properties: {
      ...typeMetaProperties(true),
      items: {
        type: 'array',
        description: `List of ${r.resource}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
        items: refWith(definitionName(r), { default: {} }),
      },
      metadata: refWith('io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta', {
        default: {},
        description: LIST_METADATA_DESCRIPTION,
      }),
    },
    'x-kubernetes-group-version-kind': [{ group: r.group, kind: r.listKind, version: r.version }],
  };
}

function kindSchema(r: ResourceDescriptor): Schema {
  const def = KINDS.find(k => k.kind === r.kind && r.group === 'wasmbed.io');
  if (def) return customResourceSchema(def, r);
  const core = CORE_SCHEMAS[definitionName(r)];
  if (!core) throw new Error(`no OpenAPI schema for ${r.kind}`);
  return core;
}

function schemasFor(resources: ResourceDescriptor[]): Record<string, Schema> {
  const schemas: Record<string, Schema> = { ...META_SCHEMAS };
  for (const r of resources) {
    schemas[definitionName(r)] = kindSchema(r);
    schemas[definitionName({ ...r, kind: r.listKind })] = listSchema(r);
  }
  if (resources.some(r => r.kind === 'Event')) {
    schemas[`${CORE}.ObjectReference`] = CORE_SCHEMAS[`${CORE}.ObjectReference`]!;
  }
  return schemas;
}

const INFO = {
  title: 'Kubernetes',
  version: `v${KUBERNETES_VERSION.major}.${KUBERNETES_VERSION.minor}.${KUBERNETES_VERSION.patch}`,
};

interface Rendered {
  body: string;
  etag: string;
}

function render(document: unknown): Rendered {
  const body = JSON.stringify(document);
  return {
    body,
    etag: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase(),
  };
}

/** OpenAPI v2 references definitions where v3 references components. */
function toV2(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/definitions/'));
}

/**
 * /openapi/v2 (one swagger document) and /openapi/v3 (an index of one document per
 * group-version, each addressed with its hash so clients cache it), computed once: the served
 * resources never change while the server runs.
 */
export class OpenApiDocuments {
  private readonly v3 = new Map<string, Rendered>(); // 'api/v1' | 'apis/G/V' → document
  private readonly v2: Rendered;

  constructor(resources: ResourceDescriptor[]) {
    const byGv = new Map<string, ResourceDescriptor[]>();
    for (const r of resources) {
      const key = r.group === '' ? `api/${r.version}` : `apis/${groupVersionOf(r)}`;
      byGv.set(key, [...(byGv.get(key) ?? []), r]);
    }
    for (const [path, rs] of byGv) {
      this.v3.set(
        path,
        render({
          openapi: '3.0.0',
          info: INFO,
          paths: pathsFor(rs, definitionName),
          components: {
            schemas: schemasFor(rs),
            securitySchemes: {
              BearerToken: {
                type: 'apiKey',
                description: 'Bearer Token authentication',
                name: 'authorization',
                in: 'header',
              },
            },
          },
        }),
      );
    }
    this.v2 = render({
      swagger: '2.0',
      info: INFO,
      paths: {},
      definitions: toV2(schemasFor(resources)),
      securityDefinitions: {
        BearerToken: {
          type: 'apiKey',
          description: 'Bearer Token authentication',
          name: 'authorization',
          in: 'header',
        },
      },
      security: [{ BearerToken: [] }],
    });
  }

  private serve(
    req: IncomingMessage,
    res: ServerResponse,
    doc: Rendered,
    immutable: boolean,
  ): void {
    if (!acceptsJson(req.headers.accept)) throw notAcceptable('application/json');
    const headers = {
      ETag: `"${doc.etag}"`,
      'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
      Vary: 'Accept',
    };
    if (req.headers['if-none-match'] === headers.ETag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(doc.body),
    });
    res.end(doc.body);
  }

  serveV2(req: IncomingMessage, res: ServerResponse): void {
    this.serve(req, res, this.v2, false);
  }

  serveV3Index(_req: IncomingMessage, res: ServerResponse): void {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const [path, doc] of [...this.v3].sort(([a], [b]) => a.localeCompare(b))) {
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.etag}` };
    }
    send(res, 200, { paths });
  }

  serveV3Group(req: IncomingMessage, res: ServerResponse, path: string): void {
    const doc = this.v3.get(path);
    if (!doc) throw pathNotFound();
    const url = new URL(req.url ?? '/', 'https://x.invalid');
    const hash = url.searchParams.get('hash');
    if (hash !== null && hash !== doc.etag) {
      // An outdated hash: kube redirects to the current one so the client refreshes its cache.
      res.writeHead(301, {
        Location: `/openapi/v3/${path}?hash=${doc.etag}`,
        'Cache-Control': 'no-cache, private',
      });
      res.end();
      return;
    }
    this.serve(req, res, doc, hash !== null);
  }
}

function acceptsJson(accept: string | undefined): boolean {
  const ranges = parseAccept(accept);
  return (
    ranges.length === 0 ||
    ranges.some(r => ['application/json', 'application/*', '*/*'].includes(r.type))
  );
}
