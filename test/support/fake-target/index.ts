/**
 * Scriptable fake iSCSI target for tests (checklist §3.1 "Fake target (F)").
 *
 *   const target = await FakeTarget.start(standardTarget({ auth: { secret: 'x'.repeat(16) } }));
 *   // ... point the initiator at target.portal ...
 *   await target.waitFor((r) => r.pdu.kind === 'logout-request');
 *   await target.stop();
 *
 * Low-level scripts get every PDU with a ConnContext that can send anything.
 */
export { FakeTarget, type FakeTargetOptions } from './server.js';
export { standardTarget, DEFAULT_TARGET_NAME, type StandardScript } from './standard-script.js';
export type {
  StandardTargetOptions, PingOptions, SendTargetsOptions, SendTargetsRecord, ScsiOptions, LogoutOptions, FfpState, WriteTask,
} from './ffp-state.js';
export { ffpState } from './ffp-state.js';
export type { LoginOptions, LoginFailure, LoginState, TargetSpec } from './login-state.js';
export { loginState } from './login-script.js';
export type { ChapTargetOptions, ChapRecord } from './chap-target.js';
export { TARGET_KEYS, answerFor, type KeyRule, type KeyKind, type Negotiated } from './negotiation.js';
export { ScsiDisk, senseData, lunField, lunNumber, type LunSpec, type ScsiOutcome } from './scsi-disk.js';
export { nopIn, asyncMessage, rejectOf, scsiResponse, type AsyncFields } from './builders.js';
export { encodePairs, parsePairs, type Pair } from './text.js';
export { TargetNumbering, type SnFields } from './numbering.js';
export { portalOf } from './text-script.js';
export { RawInitiator } from './raw-client.js';
export type {
  ConnContext, Digests, DigestErrorInfo, LogEntry, LogLevel, Received, Script, ScriptFn, ScriptObject, SendOptions,
} from './types.js';
