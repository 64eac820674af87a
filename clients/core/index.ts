export { watchChanges, type ChangeStreamOptions } from './change-stream';
export { createFieldsyncClient, type FieldsyncClient, type FieldsyncClientOptions } from './client';
export { FieldsyncHttpError, ResyncRequiredError } from './errors';
export { canonicalJson, mutationId } from './mutation-id';
export {
  keyValueShadowStore,
  memoryShadowStore,
  type KeyValueStorage,
  type ServerCopy,
  type ShadowStore,
} from './shadow-store';
export {
  isoInstant,
  pullPage,
  snapshotAll,
  pushEdits,
  type DeviceInfo,
  type Domain,
  type LocalEdit,
  type Priority,
  type PushItem,
  type PulledChange,
  type PulledPage,
  type PushOutcome,
  type PushResult,
} from './sync';
