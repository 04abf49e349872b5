/**
 * tsiscsiadm renderers: pure functions from view models (types.ts) to open-iscsi
 * 2.1.8's exact text, per stream, or to the `--json` documents of docs/cli-json.md.
 *
 * Decision (DESIGN.md §3, `cli → control → shared`): the daemon returns data, the CLI
 * renders it. Nothing here imports src/db or the daemon; record dumps take ordered
 * `key/value/secret` entries that the daemon produces from its key tables.
 */
export type * from './types.js';
export { EMPTY, MASKED, ERR_PREFIX, concat, toText, bracketed, hostPort, NOTHING } from './text.js';
export { compareNodes, sortNodes, renderNodeFlat, renderNodeTree } from './node.js';
export { renderDiscoveredFlat, renderDiscoveredTree, renderDiscoveryRecords, renderDiscoveryTree } from './discovery.js';
export { renderRecords, recordLines, type RecordDumpOptions } from './record.js';
export { compareIfaces, renderIfaceFlat, renderIfaceTree } from './iface.js';
export {
  compareSessions, sortSessions, renderSessionFlat, renderSessionTree, sessionBlocks, sessionTreeLines,
  type SessionTreeBlocks, type SessionTreeOptions,
} from './session.js';
export { SESSION_COUNTERS, renderSessionStats, renderHostStats } from './stats.js';
export { renderHostFlat, renderHostTree } from './host.js';
export * as messages from './messages.js';
export {
  JSON_SCHEMA, stringifyJson, jsonDocument, nodesJson, discoveredJson, discoveryRecordsJson, discoveryTreeJson, recordsJson,
  ifacesJson, sessionsJson, sessionStatsJson, hostsJson, hostStatsJson, actionJson, errorJson, type ActionItemJson,
} from './json.js';
