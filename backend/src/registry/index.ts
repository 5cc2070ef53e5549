import { StoreRegistry, type RegistryOptions } from './registry';
import type { Registry } from './types';

export * from './types';
export { SERVED_RESOURCES, findResource, groupVersionOf } from './resources';
export type { RegistryOptions } from './registry';

/**
 * Opens the registry over the durable store in `dataDir` (created if needed; the system
 * namespaces default, kube-system, kube-public and kube-node-lease exist once it resolves).
 */
export function createRegistry(options: RegistryOptions): Promise<Registry> {
  return StoreRegistry.open(options);
}
