import * as fields from './fields';
import type { ApiError, KubeObject, ManagedFieldsEntry, ResourceDescriptor } from './types';

/**
 * The seam between the registry's write paths and the patch / field-ownership functions of
 * `./fields` (pure functions, helper S3's module). Everything the writer needs from there goes
 * through this one object, so the writer reads the same whichever of them is wired.
 */

export interface FieldOpts {
  manager: string;
  subresource?: 'status';
  now: string;
  apiVersion: string;
  resource: ResourceDescriptor;
}

export interface FieldOps {
  applyMergePatch(target: unknown, patch: unknown): unknown;
  applyJsonPatch(target: unknown, ops: unknown): unknown;
  applyStrategicMergePatch(target: unknown, patch: unknown, kind: string): unknown;
  strategicMergeUnsupported(): ApiError;
  defaultFieldManager(userAgent?: string): string;
  /** managedFields after an Update-operation write (prev undefined = create). */
  managedFieldsAfterUpdate(
    prev: KubeObject | undefined,
    next: KubeObject,
    opts: FieldOpts,
  ): ManagedFieldsEntry[] | undefined;
  /** The object after applying `applied` (server-side apply), managedFields set. */
  serverSideApply(
    live: KubeObject | undefined,
    applied: unknown,
    opts: FieldOpts & { force: boolean },
  ): unknown;
}

export const fieldOps: FieldOps = {
  applyMergePatch: fields.applyMergePatch,
  applyJsonPatch: fields.applyJsonPatch,
  applyStrategicMergePatch: fields.applyStrategicMergePatch,
  strategicMergeUnsupported: fields.strategicMergePatchUnsupported,
  defaultFieldManager: fields.defaultFieldManager,
  managedFieldsAfterUpdate: (prev, next, { resource, ...rest }) =>
    fields.managedFieldsAfterUpdate(prev, next, {
      ...rest,
      schema: fields.fieldSchemaFor(resource),
    }),
  serverSideApply: (live, applied, { resource, ...rest }) =>
    fields.serverSideApply(live, applied as KubeObject, {
      ...rest,
      schema: fields.fieldSchemaFor(resource),
    }),
};
