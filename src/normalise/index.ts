/**
 * The normalise stage (architecture.md): topic parsing, the model registry, time rules,
 * pseudonymisation, point keys and dead-letter reasons. Other stages import from here.
 */
export { createNormaliser, unknownDeviceReject, DEFAULT_NORMALISER_OPTIONS } from './pipeline.ts';
export type { Normaliser, NormaliserOptions, NormaliseInput, NormaliseResult } from './pipeline.ts';
export { REJECT_REASONS, REJECT_REASON_LIST, isRejectReason } from './reasons.ts';
export type { Reject, RejectReason } from './reasons.ts';
export {
  loadRegistry,
  checkInventoryModels,
  findModelFolders,
  ModelRegistry,
  DEFAULT_DEVICES_DIR,
} from './registry.ts';
export type { ModelLookup } from './registry.ts';
export { DeviceModels, type DeviceModelsOptions } from './models.ts';
export { parseTopic, deviceTopic, statusTopic, DEFAULT_TOPIC_ROOT } from './topic.ts';
export type { ParsedTopic, DeviceTopic, StatusTopic } from './topic.ts';
export { parseStatusPayload, gatewayStatusPoint } from './status.ts';
export { createPseudonymiser, PSEUDONYM_PREFIX } from './pseudonym.ts';
export type { Pseudonymiser } from './pseudonym.ts';
export { applyTimeRules, DEFAULT_TIME_RULES } from './time.ts';
export type { TimeRules, TimeResult } from './time.ts';
export { eventOffsetNs, eventTimeNs } from './key.ts';
export type { Channel, DeviceModel, ModelContext, ModelResult, Normalised, PointDraft } from './model.ts';
