/** Accept-header negotiation as kube-apiserver does it for the formats this server speaks. */

export interface MediaRange {
  type: string; // e.g. application/json (lower case, no parameters)
  params: Record<string, string>;
  q: number;
}

/** Parses an Accept header; ranges in preference order (q descending, then as written). */
export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header) return [];
  const ranges = splitOutsideQuotes(header, ',').map((part, index) => {
    const [type = '', ...rest] = splitOutsideQuotes(part, ';').map(s => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params[p.slice(0, eq).trim().toLowerCase()] = p
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    delete params.q;
    return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index };
  });
  return ranges
    .filter(r => r.type !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map(({ type, params, q }) => ({ type, params, q }));
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (ch === separator && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

export type Encoding = 'json' | 'yaml';

/** What a resource request's response should be. */
export type ResourceOutput =
  | { kind: 'object'; encoding: Encoding; streamWatch: boolean }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1' };

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*']);

/**
 * The output of a resource request: a Table or PartialObjectMetadata when the client asks
 * for it (`as=...;g=meta.k8s.io`), plain JSON or YAML otherwise; undefined when nothing the
 * client accepts can be served (406). Protobuf is not spoken: clients listing it list JSON too.
 */
export function negotiateResource(accept: string | undefined): ResourceOutput | undefined {
  const ranges = parseAccept(accept);
  if (ranges.length === 0) return { kind: 'object', encoding: 'json', streamWatch: false };
  for (const r of ranges) {
    const as = r.params.as;
    if (as !== undefined) {
      if (r.type !== 'application/json' || r.params.g !== 'meta.k8s.io') continue;
      const version = r.params.v;
      if (version !== 'v1' && version !== 'v1beta1') continue;
      if (as === 'Table') return { kind: 'table', version };
      if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') {
        return { kind: 'partial', version };
      }
      continue;
    }
    if (JSON_TYPES.has(r.type)) {
      return { kind: 'object', encoding: 'json', streamWatch: r.params.stream === 'watch' };
    }
    if (r.type === 'application/yaml')
      return { kind: 'object', encoding: 'yaml', streamWatch: false };
  }
  return undefined;
}

export const ACCEPTED_OUTPUT_TYPES = 'application/json, application/yaml';

/** Whether the client prefers aggregated discovery (apidiscovery.k8s.io v2) over the legacy documents. */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  for (const r of parseAccept(accept)) {
    if (
      r.params.as === 'APIGroupDiscoveryList' &&
      r.params.g === 'apidiscovery.k8s.io' &&
      r.params.v === 'v2'
    ) {
      return true;
    }
    if (r.params.as === undefined && JSON_TYPES.has(r.type)) return false;
  }
  return false;
}
