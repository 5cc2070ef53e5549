import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeApi } from './kubeApi';

export interface InformerHandlers<T> {
  add?: (obj: T) => void;
  update?: (obj: T) => void;
  delete?: (obj: T) => void;
}

export interface RunningInformer<T> {
  get(name: string, namespace: string): T | undefined;
  list(namespace?: string): T[];
  stop(): Promise<void>;
}

/** Time the first list + watch may take before the gateway gives up starting. */
const SYNC_TIMEOUT_MS = 60_000;
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 15_000;

/**
 * A cache of one kind kept by list + watch (client-node's ListWatch): resolves once the
 * first list is in and its watch is open. client-node's ListWatch stops for good on an error
 * other than 410 or a timeout; here it is started again with a growing delay, so a restarted
 * API server costs a relist, never a gateway blind to changes.
 */
export async function startInformer<T extends object>(
  kubeConfig: KubeConfig,
  api: KubeApi,
  path: string,
  handlers: InformerHandlers<T>,
  log: Logger,
  selectors: { fieldSelector?: string; labelSelector?: string } = {},
): Promise<RunningInformer<T>> {
  let listed = false;
  const query = new URLSearchParams();
  if (selectors.fieldSelector) query.set('fieldSelector', selectors.fieldSelector);
  if (selectors.labelSelector) query.set('labelSelector', selectors.labelSelector);
  const listPath = query.size ? `${path}?${query}` : path;
  const listFn = async () => {
    const list = await api.get<KubernetesListObject<KubernetesObject>>(listPath);
    listed = true;
    return list;
  };
  // Our resource types are zod's (string timestamps), not client-node's generated ones.
  const cast = (cb: ((obj: T) => void) | undefined) =>
    cb as ((obj: KubernetesObject) => void) | undefined;
  const lw = new ListWatch<KubernetesObject>(
    path,
    new Watch(kubeConfig),
    listFn,
    false,
    selectors.labelSelector,
    selectors.fieldSelector,
  );
  if (handlers.add) lw.on('add', cast(handlers.add)!);
  if (handlers.update) lw.on('update', cast(handlers.update)!);
  if (handlers.delete) lw.on('delete', cast(handlers.delete)!);
  let stopped = false;
  let delay = RETRY_MS;
  let retry: NodeJS.Timeout | undefined;
  lw.on('connect', () => {
    delay = RETRY_MS;
  });
  lw.on('error', err => {
    if (stopped) return;
    log.warn({ path, err: (err as Error)?.message ?? String(err), retryMs: delay }, 'watch lost');
    clearTimeout(retry);
    retry = setTimeout(() => {
      if (!stopped) lw.start().catch(() => {});
    }, delay);
    retry.unref();
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  });
  const until = Date.now() + SYNC_TIMEOUT_MS;
  await lw.start();
  while (!listed) {
    if (Date.now() > until) {
      stopped = true;
      clearTimeout(retry);
      await lw.stop();
      throw new Error(`${path}: could not list in ${SYNC_TIMEOUT_MS / 1000} s`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    get: (name, namespace) => lw.get(name, namespace) as T | undefined,
    list: namespace => [...lw.list(namespace)] as T[],
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await lw.stop();
    },
  };
}
