import type { RevisionStore, StoredObject } from '../storage/revisionStore';
import { decodeContinue, encodeContinue } from './continueToken';
import {
  badRequest,
  expired,
  invalidListOptions,
  storageError,
  tooLargeResourceVersion,
} from './errors';
import { collectionPrefix, objectKey } from './keys';
import { parseFieldSelector, parseLabelSelector } from './selectors';
import { groupVersionOf } from './resources';
import { API_GROUP } from '@wasmbed/plugin-wasmbed-common';
import type { KubeObject, ListJson, ListOptions, ResourceDescriptor, ResourceRef } from './types';

/**
 * LIST with kube's resourceVersion semantics: "" = the latest state, "0" = any state (the
 * latest here), N (NotOlderThan) = the latest once it is at least N, N with Exact = the state at
 * revision N, rebuilt from the event log; continue tokens keep every page on the first page's
 * revision. A revision older than the event log's window answers 410 Expired.
 */

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** Most rows read from SQLite per step while filtering a page. */
const SCAN_CHUNK = 500;

/** A resourceVersion parameter as a revision; kube's storage refuses others with a 500. */
export function parseRevision(text: string): number {
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw storageError(
      `resourceVersion: Invalid value: "${text}": strconv.ParseUint: parsing "${text}": invalid syntax`,
    );
  }
  return Number(text);
}

/** The selected rows (stored JSON) of a list and its metadata. */
export function listRows(
  store: RevisionStore,
  ref: ResourceRef,
  options: ListOptions,
): { metadata: ListJson['metadata']; items: string[] } {
  const r = ref.resource;
  const labels = parseLabelSelector(options.labelSelector);
  const fields = parseFieldSelector(options.fieldSelector, r.kind);
  const limit =
    options.limit !== undefined && options.limit > 0 ? Math.floor(options.limit) : undefined;
  const current = store.currentRevision();

  // The namespace to read: the URL's, or the one a field selector pins (kubectl -A --field-selector).
  const namespace = ref.namespace ?? (r.namespaced ? fields.namespace : undefined);
  const prefix = collectionPrefix(r, namespace);

  let atRevision = current;
  let startAfter: string | undefined;
  let pageLimit = limit;
  const rv = options.resourceVersion;
  if (options.resourceVersionMatch && (rv === undefined || rv === '')) {
    throw invalidListOptions(
      'resourceVersionMatch',
      'resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
  }
  if (rv === '0' && options.resourceVersionMatch === 'Exact') {
    throw invalidListOptions(
      'resourceVersionMatch',
      'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
  }
  if (options.continue) {
    const position = decodeContinue(options.continue);
    if (rv !== undefined && rv !== '') {
      throw badRequest('specifying resource version is not allowed when using continue');
    }
    if (position.rv <= store.compactedRevision() && position.rv < current)
      throw expired(CONTINUE_EXPIRED);
    atRevision = position.rv;
    // The token's start is the first key of the next page: continue after the key just before it.
    startAfter = prefix + position.start.slice(0, -1);
  } else if (rv === '0') {
    // "Any version": kube serves it from its watch cache, which ignores limit.
    pageLimit = undefined;
  } else if (rv !== undefined && rv !== '') {
    const wanted = parseRevision(rv);
    if (wanted > current) throw tooLargeResourceVersion(wanted, current);
    if (options.resourceVersionMatch === 'Exact') {
      if (wanted < current && wanted <= store.compactedRevision()) {
        throw expired(`too old resource version: ${wanted} (${store.compactedRevision() + 1})`);
      }
      atRevision = wanted;
    }
  }

  const snapshot = new Snapshot(store, prefix, atRevision);
  const items: string[] = [];
  let lastKey: string | undefined;
  let more = false;
  // Rows are parsed only to apply a selector; the JSON stored is what the list carries.
  const selected = (json: string) => {
    if (labels.empty && fields.empty) return true;
    const object = JSON.parse(json) as KubeObject;
    return labels.matches(object.metadata.labels) && fields.matches(object);
  };

  if (fields.name !== undefined && (namespace !== undefined || !r.namespaced)) {
    // One name pinned: a point read instead of a scan.
    const row = snapshot.get(objectKey(r, namespace, fields.name));
    if (row && selected(row.json)) items.push(row.json);
  } else {
    let cursor = startAfter;
    scan: for (;;) {
      const chunk = snapshot.range(cursor, Math.max(SCAN_CHUNK, (pageLimit ?? 0) + 1));
      if (chunk.length === 0) break;
      for (const row of chunk) {
        if (pageLimit !== undefined && items.length >= pageLimit) {
          more = true;
          break scan;
        }
        lastKey = row.key;
        if (selected(row.json)) items.push(row.json);
      }
      cursor = chunk[chunk.length - 1]!.key;
    }
  }

  const metadata: ListJson['metadata'] = { resourceVersion: String(atRevision) };
  if (more && lastKey !== undefined) {
    metadata.continue = encodeContinue({
      rv: atRevision,
      start: `${lastKey.slice(prefix.length)}\u0000`,
    });
    // kube reports the remaining count only when no selector filters it (it would be a guess).
    if (labels.empty && fields.empty && atRevision === current) {
      metadata.remainingItemCount = store.count(prefix, lastKey);
    }
  }
  return { metadata, items };
}

export function listObjects(
  store: RevisionStore,
  ref: ResourceRef,
  options: ListOptions,
): ListJson {
  const { metadata, items } = listRows(store, ref, options);
  return listJson(
    ref.resource,
    metadata,
    items.map(json => JSON.parse(json) as KubeObject),
  );
}

/**
 * The list as the JSON text of its body, built from the stored rows without parsing them
 * (a full list of 10,000 objects then costs one string, not 10,000 object graphs).
 */
export function listText(store: RevisionStore, ref: ResourceRef, options: ListOptions): string {
  const { metadata, items } = listRows(store, ref, options);
  const shell = listJson(ref.resource, metadata, []);
  const parts = Object.entries(shell).map(([k, v]) =>
    k === 'items' ? `"items":[${items.join(',')}]` : `${JSON.stringify(k)}:${JSON.stringify(v)}`,
  );
  return `{${parts.join(',')}}`;
}

/** Rows per piece of a streamed list body. */
const PIECE_ROWS = 500;

/**
 * A full list's JSON body as a sequence of pieces, read a page at a time: the first page at
 * once (so a bad option is refused before anything is sent), each later page only when the
 * caller asks for it (after the socket drained), through the same continue mechanism as
 * client paging, so every page sees the first page's revision. A full list of thousands of
 * objects thus never sits in memory whole. `next()` answers undefined at the end; it throws
 * when a later page can no longer be read at that revision (the event log was compacted
 * meanwhile), in which case the response can only be cut off.
 * A request that pages itself (limit or continue) is one piece, as `listText` builds it.
 */
export function listTextPieces(
  store: RevisionStore,
  ref: ResourceRef,
  options: ListOptions,
): { next(): string | undefined } {
  if ((options.limit !== undefined && options.limit > 0) || options.continue) {
    let text: string | undefined = listText(store, ref, options);
    return {
      next: () => {
        const t = text;
        text = undefined;
        return t;
      },
    };
  }
  const first = listRows(store, ref, { ...options, limit: PIECE_ROWS });
  const shell = JSON.stringify(
    listJson(ref.resource, { resourceVersion: first.metadata.resourceVersion }, []),
  );
  const split = shell.indexOf('"items":[]') + '"items":['.length;
  const selectors = {
    ...(options.labelSelector !== undefined ? { labelSelector: options.labelSelector } : {}),
    ...(options.fieldSelector !== undefined ? { fieldSelector: options.fieldSelector } : {}),
  };
  let pending: string | undefined = shell.slice(0, split) + first.items.join(',');
  let cont = first.metadata.continue;
  let done = false;
  return {
    next: () => {
      if (pending !== undefined) {
        const piece = pending;
        pending = undefined;
        return piece;
      }
      if (done) return undefined;
      if (!cont) {
        done = true;
        return shell.slice(split);
      }
      const page = listRows(store, ref, { ...selectors, limit: PIECE_ROWS, continue: cont });
      cont = page.metadata.continue;
      return page.items.length > 0 ? `,${page.items.join(',')}` : '';
    },
  };
}

/**
 * A list in the key order kube writes it: sorted keys for custom resources (unstructured),
 * Go field order (kind, apiVersion, metadata, items) for the core kinds.
 */
export function listJson(
  r: ResourceDescriptor,
  metadata: ListJson['metadata'],
  items: KubeObject[],
): ListJson {
  if (r.group === API_GROUP) {
    // An unstructured list always carries `continue` ("" on the last page).
    const meta: ListJson['metadata'] = {} as ListJson['metadata'];
    meta.continue = metadata.continue ?? '';
    if (metadata.remainingItemCount !== undefined)
      meta.remainingItemCount = metadata.remainingItemCount;
    meta.resourceVersion = metadata.resourceVersion;
    return { apiVersion: groupVersionOf(r), items, kind: r.listKind, metadata: meta } as ListJson;
  }
  return { kind: r.listKind, apiVersion: groupVersionOf(r), metadata, items } as ListJson;
}

/**
 * The collection as it was at revision `rev`: the current rows, with every key changed since
 * replaced by its value before its first later change (or dropped when it did not exist yet).
 */
class Snapshot {
  private readonly overrides = new Map<string, string | null>();
  private readonly overrideKeys: string[];

  constructor(
    private readonly store: RevisionStore,
    private readonly prefix: string,
    rev: number,
  ) {
    if (rev < store.currentRevision()) {
      for (const e of store.eventsAfter(rev, prefix)) {
        if (!this.overrides.has(e.key)) this.overrides.set(e.key, e.prevJson);
      }
    }
    this.overrideKeys = [...this.overrides.keys()].sort();
  }

  get(key: string): StoredObject | undefined {
    if (this.overrides.has(key)) {
      const json = this.overrides.get(key);
      return json ? { key, rev: 0, json } : undefined;
    }
    return this.store.get(key);
  }

  /** Up to `limit` rows after `after` in key order. */
  range(after: string | undefined, limit: number): StoredObject[] {
    const rows = this.store.range(this.prefix, after, limit + this.overrides.size);
    if (this.overrides.size === 0) return rows.slice(0, limit);
    const merged: StoredObject[] = [];
    for (const row of rows) if (!this.overrides.has(row.key)) merged.push(row);
    for (const key of this.overrideKeys) {
      if (after !== undefined && key <= after) continue;
      const json = this.overrides.get(key);
      if (json) merged.push({ key, rev: 0, json });
    }
    merged.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    // Rows past the last current row read may be missing from `rows`: cut there.
    const bound =
      rows.length === limit + this.overrides.size ? rows[rows.length - 1]!.key : undefined;
    return merged.filter(r => bound === undefined || r.key <= bound).slice(0, limit);
  }
}
