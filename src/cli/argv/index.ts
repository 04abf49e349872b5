/**
 * The argument layer of tsiscsiadm: open-iscsi 2.1.8 iscsiadm syntax in, a typed Command
 * (or the exact CliError iscsiadm would give) out. No I/O.
 */
export { parseCommandLine } from './parse.js';
export { isCliError } from './types.js';
export type {
  CliError, Command, CommonFields, DeferredError, DiscoveryCommand, DiscoveryDbCommand, DiscoveryType,
  ExtensionCommand, FwCommand, HelpCommand, HostCommand, HostRef, IfaceCommand, KillCommand, ModeName,
  NodeCommand, OpName, Param, ParseOptions, Portal, SessionCommand, SidRef, StartupFilter, StateCheck,
  Submode, VersionCommand,
} from './types.js';
export { OP_BITS, opNames } from './raw-args.js';
export { MSG } from './messages.js';
export { resolveSidPath, type SidPathProbe } from './sid-path.js';
