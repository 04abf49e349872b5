/**
 * View models of the tsiscsiadm renderers: plain data, no behaviour. The CLI maps
 * control-API results into these and hands them to the pure functions of
 * `src/cli/render/*`, which return open-iscsi 2.1.8's exact text (reference §6) or the
 * `--json` form (docs/cli-json.md).
 *
 * Conventions:
 * - Addresses are stored form: IPv4, IPv6 *without* brackets, or a host name. The
 *   renderers add brackets where iscsiadm does (§6 "IPv4-vs-IPv6 rule": no `.` → `[...]`).
 * - Strings are `''` when unset; the text renderers print `<empty>` for them.
 * - Lists are printed in the order given unless a renderer says it sorts (node and
 *   iface listings sort like iscsiadm; discovery sections and discovery results keep
 *   the producer's order, which for open-iscsi is directory order).
 */

/** Lines of text per stream, each without its trailing newline. */
export interface Rendered {
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

/** A 64-bit counter: `bigint` keeps every bit; `number` is fine below 2^53. */
export type Counter = number | bigint;

/** An address and TCP port as stored (IPv6 without brackets). */
export interface PortalView {
  readonly address: string;
  readonly port: number;
}

/** Identity of one node record (`nodes/<target>/<address>,<port>,<tpgt>/<iface>`). */
export interface NodeView {
  readonly target: string;
  readonly address: string;
  readonly port: number;
  /** Target portal group tag; -1 when unknown. */
  readonly tpgt: number;
  /** iface record name (`default` for the built-in). */
  readonly iface: string;
}

/** A stored discovery record (`send_targets/<addr>,<port>` or `isns/<addr>,<port>`). */
export interface DiscoveryRecordView {
  readonly type: 'sendtargets' | 'isns';
  readonly address: string;
  readonly port: number;
}

/** A discovery record with the node records that came from it (`-m discovery -P 1`). */
export interface DiscoverySourceView extends DiscoveryRecordView {
  readonly nodes: readonly NodeView[];
}

/** Everything `iscsiadm -m discovery -P 1` prints, section by section. */
export interface DiscoveryTreeView {
  /** `SENDTARGETS:` records, in listing order. */
  readonly sendtargets: readonly DiscoverySourceView[];
  /** `iSNS:` records. */
  readonly isns: readonly DiscoverySourceView[];
  /**
   * Nodes with `discovery_type = isns` whose server has no record (pre-2.0-872 DBs):
   * printed under `iSNS:` only when `isns` is empty. Usually absent.
   */
  readonly isnsUnlisted?: readonly NodeView[];
  /** `STATIC:` section (`-o new` nodes). */
  readonly static: readonly NodeView[];
  /** `FIRMWARE:` section. */
  readonly firmware: readonly NodeView[];
}

/** One `key = value` line of a record dump. */
export interface RecordEntryView {
  readonly key: string;
  /** Value as stored: `''` prints `<empty>`. */
  readonly value: string;
  /** A CHAP password: printed `********` when set, unless secrets are shown. */
  readonly secret?: boolean;
}

/** A record as `-o show` (node, iface, discoverydb), `-m fw` or `-m host -C chap` dumps it. */
export interface RecordView {
  readonly kind: 'node' | 'iface' | 'discovery' | 'fw' | 'chap' | 'flashnode';
  /** Version for `# BEGIN RECORD <version>` (iscsiadm prints its own, e.g. `2.1.8`). */
  readonly version: string;
  /** Lines in print order (the producer decides order and which keys exist). */
  readonly entries: readonly RecordEntryView[];
}

/** One iface record as listings show it (`-m iface`). */
export interface IfaceView {
  readonly name: string;
  /** Built-in `default` / `iser` (listed after the stored ones). */
  readonly builtin?: boolean;
  readonly transport: string;
  readonly hwAddress: string;
  readonly ipAddress: string;
  readonly netIfacename: string;
  readonly initiatorName: string;
}

/** An iface with the node records bound to it (`-m iface -P 1`). */
export interface IfaceTreeView extends IfaceView {
  readonly nodes: readonly NodeView[];
}

/** "iSCSI Connection State" words (iscsid connection state; `Unknown` when not ours). */
export type ConnectionStateWord = 'FREE' | 'TRANSPORT WAIT' | 'IN LOGIN' | 'LOGGED IN' | 'IN LOGOUT' | 'LOGOUT REQUESTED' | 'CLEANUP WAIT' | 'Unknown';
/** "Internal iscsid Session State" words (recovery stage). */
export type InternalStateWord = 'NO CHANGE' | 'CLEANUP' | 'REOPEN' | 'REDIRECT' | 'Unknown';

/** The Interface block of a session (`-P 1`). */
export interface SessionIfaceView {
  readonly name: string;
  readonly transport: string;
  readonly initiatorName: string;
  readonly ipAddress: string;
  readonly hwAddress: string;
  readonly netdev: string;
}

/** The `-P 1` state lines. */
export interface SessionStatesView {
  readonly connection: ConnectionStateWord;
  /** Kernel session state (`LOGGED_IN`, `FAILED`, `FREE`) or `Unknown`. */
  readonly session: string;
  readonly internal: InternalStateWord;
}

/** The `-P 2` Timeouts block, seconds; null or negative prints `<empty>` (not for recovery). */
export interface SessionTimeoutsView {
  readonly recovery: number;
  readonly targetReset: number | null;
  readonly lunReset: number | null;
  readonly abort: number | null;
}

/** The `-P 2` CHAP block: `''` when unset; passwords are masked unless secrets are shown. */
export interface SessionChapView {
  readonly username: string;
  readonly password: string;
  readonly usernameIn: string;
  readonly passwordIn: string;
}

/** Negotiated parameters; an absent value is not printed (iscsiadm prints only what sysfs has). */
export interface NegotiatedView {
  readonly headerDigest?: 'None' | 'CRC32C';
  readonly dataDigest?: 'None' | 'CRC32C';
  readonly maxRecvDataSegmentLength?: number;
  readonly maxXmitDataSegmentLength?: number;
  readonly firstBurstLength?: number;
  readonly maxBurstLength?: number;
  readonly immediateData?: boolean;
  readonly initialR2T?: boolean;
  readonly maxOutstandingR2T?: number;
  /** JSON only from here on. */
  readonly maxConnections?: number;
  readonly defaultTime2Wait?: number;
  readonly defaultTime2Retain?: number;
  readonly errorRecoveryLevel?: number;
  readonly dataPDUInOrder?: boolean;
  readonly dataSequenceInOrder?: boolean;
  readonly targetAlias?: string;
}

/**
 * One logical unit. In text, a LUN is printed only under a kernel SCSI host
 * (`scsiH Channel 00 Id T Lun: L`); the inquiry data is a `--json` extension.
 */
export interface LunView {
  readonly lun: number;
  /** SCSI target id (`Id T`); 0 for iSCSI. */
  readonly targetId: number;
  /** Block device (`sdb`) when the kernel made one. */
  readonly blockDevice?: string | null;
  /** Device state (`running`), `Unknown` when unreadable. */
  readonly state?: string;
  readonly deviceType?: number;
  readonly deviceTypeName?: string;
  readonly vendor?: string;
  readonly product?: string;
  readonly revision?: string;
  readonly serial?: string;
  readonly sizeBytes?: Counter;
  readonly blocks?: Counter;
  readonly blockLength?: number;
}

/**
 * The `-P 3` Attached SCSI devices block. `hostNumber` null means the session has no
 * kernel SCSI host (usertcp): the text prints `Unavailable` exactly like iscsiadm when
 * the host cannot be found, and the LUNs appear only in `--json`.
 */
export interface ScsiTreeView {
  readonly hostNumber: number | null;
  /** SCSI host state (`running`), `Unknown` when unreadable. */
  readonly hostState?: string;
  readonly luns: readonly LunView[];
}

/** Everything `-m session -P 0..3` prints about one session. */
export interface SessionView {
  readonly sid: number;
  readonly target: string;
  readonly tpgt: number;
  /** Transport name for the flat line; `''` prints `<empty>`. */
  readonly transport: string;
  /** Created by kernel/firmware (`flash`) rather than by the daemon (`non-flash`). */
  readonly flash: boolean;
  /** Connection address now (after redirects): "Current Portal". */
  readonly currentPortal: PortalView;
  /** Record address: "Persistent Portal" and the flat line. */
  readonly persistentPortal: PortalView;
  readonly iface: SessionIfaceView;
  readonly states: SessionStatesView;
  readonly timeouts: SessionTimeoutsView;
  readonly chap: SessionChapView;
  /** null before the first login completes: the block header alone is printed. */
  readonly negotiated: NegotiatedView | null;
  readonly scsi: ScsiTreeView;
  /** JSON-only extras the producer wants to pass through (e.g. isid, tsih, dataPath). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The two version lines `-m session -P 3` / `-m host -P 4` print first. */
export interface VersionsView {
  /** "iSCSI Transport Class version"; null/absent: neither line is printed (as iscsiadm does). */
  readonly transportClass?: string | null;
  /** "version" line: the iscsiadm version we mimic (e.g. `2.1.8`). */
  readonly version: string;
}

/** `-m session -s` for one session. */
export interface SessionStatsView {
  readonly sid: number;
  readonly target: string;
  /** The header prints the persistent address with the *current* port (iscsiadm's choice). */
  readonly persistentPortal: PortalView;
  readonly currentPortal: PortalView;
  /** The 21 `iSCSI SNMP:` counters, `[name, value]` in print order. */
  readonly counters: ReadonlyArray<readonly [string, Counter]>;
  /** `iSCSI Extended:` counters (offload drivers); empty for tcp/usertcp. */
  readonly extended: ReadonlyArray<readonly [string, Counter]>;
}

/** A kernel iface of a host (`-m host -P 1` Interface block). */
export interface HostIfaceView {
  /** `ipv4-iface-<host>-<n>` / `ipv6-iface-<host>-<n>`. */
  readonly kernelName: string;
  readonly ipAddress: string;
  readonly gateway?: string;
  readonly subnet?: string;
  readonly bootProto?: string;
  readonly ipv6Autocfg?: string;
  readonly linkLocalAddress?: string;
  readonly linkLocalAutocfg?: string;
  readonly routerAddress?: string;
  readonly portState: string;
  readonly portSpeed: string;
  /** 0 prints `<empty>`. */
  readonly port: number;
  /** 0 prints `<empty>`. */
  readonly mtu: number;
  /** null (kernel 65535) prints `<empty>`. */
  readonly vlanId: number | null;
  /** null (kernel 255) prints `<empty>`. */
  readonly vlanPriority: number | null;
}

/** One iSCSI host (`-m host`). */
export interface HostView {
  readonly hostNumber: number;
  /** SCSI host state; absent prints `Unknown`. */
  readonly state?: string;
  readonly transport: string;
  readonly initiatorName: string;
  readonly ipAddress: string;
  readonly hwAddress: string;
  readonly netdev: string;
  readonly ifaces: readonly HostIfaceView[];
  /** Sessions on this host (`-P 2` and up). */
  readonly sessions: readonly SessionView[];
}

/** `-m host -H N -C stats`: the 82 offload counters `[name, value]` in print order (reference §3.6). */
export interface HostStatsView {
  readonly hostNumber: number;
  readonly counters: ReadonlyArray<readonly [string, Counter]>;
}
