/**
 * Patches, field ownership (managedFields) and server-side apply: pure functions the
 * registry calls on every write. No I/O here; errors are ApiError with kube's Status.
 */
export { applyMergePatch } from './mergePatch';
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './jsonPatch';
export { applyStrategicMergePatch, supportsStrategicMergePatch } from './strategicMergePatch';
export { defaultFieldManager, FIELD_MANAGER_MAX_LENGTH } from './fieldManager';
export {
  applyFieldManagerRequired,
  strategicMergePatchUnsupported,
  type PatchOptions,
} from './status';
export { fieldSchemaFor, type FieldSchema, type FieldNode } from './fieldSchema';
export { managedFieldsAfterUpdate, type UpdateOptions } from './managedFields';
export { serverSideApply, type ApplyOptions } from './serverSideApply';
export { FieldSet } from './fieldSet';
