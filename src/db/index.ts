/**
 * Persistent record database of tsiscsid: open-iscsi's layout and record format
 * (reference §5), iscsid.conf and initiatorname.iscsi. Only imports src/shared.
 */
export * from './keys/index.js';
export { EMPTY_PLACEHOLDER, MASKED_PASSWORD, type KeyValue } from './values.js';
export { LIMITS, RECORD_VERSION, parseRecordText, renderRecord, ipBlockOf, type ParsedText, type RecordLine, type RenderOptions } from './format.js';
export {
  decodeEntries, defaultsOf, ifaceDefaults, isnsDefaults, nodeDefaults, sendTargetsDefaults, recordSchema, keySchema, resolveKey, validatePatch,
  IfaceRecordSchema, IsnsRecordSchema, NodeRecordSchema, SendTargetsRecordSchema, type PatchValue,
} from './schema.js';
export { compiledRecordDefaults, type RecordDefaults } from './defaults.js';
export { decodeRecordText, readRecordFile, type LoadedRecord } from './record-io.js';
export { DbLock, Mutex, type LockOptions } from './lock.js';
export { DbPaths, sameSource, sourceOfNode, type DiscoverySource, type NodeKey } from './paths.js';
export type { NodeEntry, NodeFilter, Listing } from './node-repo.js';
export { matchesNodePattern, type NodePattern, type Resolver } from './node-match.js';
export type { IfaceEntry } from './iface-repo.js';
export type { DiscoveryEntry, EntryFor, IsnsEntry, RecordSource, SendTargetsEntry } from './discovery-repo.js';
export type { ApplyDiscoveryOptions, DiscoveryOp, DiscoveryResult } from './discovery-ops.js';
export { RecordStore, type CreateNodeOptions, type RecordStoreOptions } from './store.js';
export type { IfaceStore } from './iface-store.js';
export {
  ensureInitiatorName, parseInitiatorName, parseIscsidConf, readInitiatorName, readIscsidConf,
  type EnsuredInitiatorName, type InitiatorNameFile, type IscsidConf, type IscsidSettings,
} from './config.js';
export { importInitiatorName, importOpenIscsi, type ImportItem, type ImportOptions, type ImportReport } from './import-open-iscsi.js';
export { warningToError, type BusyCheck, type DbWarning, type DbWarningCode } from './warnings.js';
