/**
 * The values iscsiadm's main getopt loop collects, one letter at a time, with the
 * per-option checks it makes on the spot (an error stops the loop at that option).
 */
import { atoi, strtol, strtoull, toInt32 } from './c-number.js';
import { cliError, MSG, prefixed } from './messages.js';
import { parsePortalArg } from './portal.js';
import type {
  CliError, DiscoveryType, HostRef, OpName, Param, ParseOptions, SidRef, Submode,
} from './types.js';

/** open-iscsi's OP_* bits (enum iscsiadm_op); `-o` values OR together. */
export const OP_BITS: Readonly<Record<OpName, number>> = {
  new: 0x1, delete: 0x2, update: 0x4, show: 0x8, nonpersistent: 0x10,
  apply: 0x20, applyall: 0x40, login: 0x80, logout: 0x100,
};

/** Operation names in bit order. */
export const OP_ORDER: readonly OpName[] = ['new', 'delete', 'update', 'show', 'nonpersistent', 'apply', 'applyall', 'login', 'logout'];

/** The mask's operation names in bit order. */
export function opNames(mask: number): OpName[] {
  return OP_ORDER.filter((n) => (mask & OP_BITS[n]) !== 0);
}

/** Everything collected from the command line, in open-iscsi's representation. */
export interface RawArgs {
  json: boolean;
  debugLevel: number;
  printLevel: number;
  opMask: number;
  params: Param[];
  pendingName?: string;
  pendingValue?: string;
  targetName?: string;
  /** -p address: undefined = never given, null = unusable (unclosed '['). */
  portalAddress?: string | null;
  port: number;
  tpgt: number;
  pingAddress?: string;
  ifaces: string[];
  type?: DiscoveryType;
  submode?: Submode;
  portalType?: 'ipv4' | 'ipv6';
  host?: HostRef;
  index?: bigint;
  sid?: SidRef;
  login: boolean;
  logout: boolean;
  rescan: boolean;
  stats: boolean;
  show: boolean;
  discover: boolean;
  noWait: boolean;
  loginAll: boolean;
  logoutAll: boolean;
  /** The last -L/-U argument (iscsiadm keeps one variable for both). */
  groupMode?: string;
  packetSize: number;
  count: number;
  interval: number;
  /** -k (atoi), -1 when not given. */
  kill: number;
}

/** Fresh values with iscsiadm's defaults. */
export function newRawArgs(json: boolean): RawArgs {
  return {
    json, debugLevel: 0, printLevel: -1, opMask: 0, params: [], port: -1, tpgt: -1, ifaces: [],
    login: false, logout: false, rescan: false, stats: false, show: false, discover: false, noWait: false,
    loginAll: false, logoutAll: false, packetSize: 32, count: 1, interval: 0, kill: -1,
  };
}

/** Context the option handlers need. */
export interface ApplyContext {
  readonly prog: string;
  readonly options: ParseOptions;
}

const TYPE_WORDS: Readonly<Record<string, DiscoveryType>> = { sendtargets: 'sendtargets', st: 'sendtargets', slp: 'slp', isns: 'isns', fw: 'fw' };
const SUBMODE_WORDS: readonly Submode[] = ['ping', 'chap', 'flashnode', 'stats'];
const MAX_HOST_NO = 0xffff_ffffn;

/** -r: a positive decimal (strtol, whole string) is a sid; anything else is a sysfs path. */
function parseSid(raw: RawArgs, arg: string, ctx: ApplyContext): CliError | undefined {
  const { value, end } = strtol(arg);
  const sid = toInt32(value);
  if (sid > 0 && arg !== '' && end === arg.length) {
    raw.sid = { kind: 'id', sid };
    return undefined;
  }
  if (ctx.options.resolveSidPath === undefined) {
    raw.sid = { kind: 'path', path: arg };
    return undefined;
  }
  const r = ctx.options.resolveSidPath(arg);
  if (typeof r !== 'number') return r;
  raw.sid = { kind: 'id', sid: r };
  return undefined;
}

/** -H: a MAC (contains ':') or a host number (strtoull, must fit 32 bits). */
function parseHost(raw: RawArgs, arg: string, ctx: ApplyContext): CliError | undefined {
  if (arg.includes(':')) {
    if (ctx.options.resolveHostMac === undefined) {
      raw.host = { kind: 'mac', mac: arg };
      return undefined;
    }
    const r = ctx.options.resolveHostMac(arg);
    if (typeof r !== 'number') return r;
    raw.host = { kind: 'number', hostNo: r };
    return undefined;
  }
  const { value, erange } = strtoull(arg);
  if (erange || value > MAX_HOST_NO) return cliError(7, [prefixed(ctx.prog, MSG.badHostNo(arg))], raw.json);
  raw.host = { kind: 'number', hostNo: Number(value) };
  return undefined;
}

/** -o: OR the operation in; an unknown word is an error only while nothing is set yet. */
function parseOp(raw: RawArgs, arg: string, ctx: ApplyContext): CliError | undefined {
  const bit = (OP_BITS as Record<string, number | undefined>)[arg];
  raw.opMask |= bit ?? 0;
  if (raw.opMask === 0) return cliError(7, [prefixed(ctx.prog, MSG.badOp(arg))], raw.json);
  return undefined;
}

/** -p: update address/tpgt and (only when present) the port, like str_to_ipport. */
function parsePortal(raw: RawArgs, arg: string): void {
  const p = parsePortalArg(arg);
  raw.portalAddress = p.address;
  if (p.port !== undefined) raw.port = p.port;
  if (p.tpgt !== undefined) raw.tpgt = p.tpgt;
}

/** Options whose handling can fail. */
function applyChecked(raw: RawArgs, letter: string, arg: string, ctx: ApplyContext): CliError | undefined {
  switch (letter) {
    case 'k':
      raw.kill = atoi(arg);
      if (raw.kill < 0) return cliError(7, [prefixed(ctx.prog, MSG.killNegative(raw.kill))], raw.json);
      return undefined;
    case 'o': return parseOp(raw, arg, ctx);
    case 'r': return parseSid(raw, arg, ctx);
    case 'H': return parseHost(raw, arg, ctx);
    case 'x': {
      const { value, erange } = strtoull(arg);
      if (erange) return cliError(7, [prefixed(ctx.prog, MSG.badIndex(arg))], raw.json);
      raw.index = value;
      return undefined;
    }
    case 'I':
      if (arg.length < 1 || arg.length > 64) return cliError(7, [], raw.json, [MSG.badIfaceName(arg)]);
      raw.ifaces.push(arg);
      return undefined;
    default:
      return undefined;
  }
}

/** Options that only store a value. */
function applyValue(raw: RawArgs, letter: string, arg: string): void {
  switch (letter) {
    case 't': raw.type = TYPE_WORDS[arg]; break;
    case 'n': raw.pendingName = arg; break;
    case 'v': raw.pendingValue = arg; break;
    case 'P': raw.printLevel = atoi(arg); break;
    case 'd': raw.debugLevel = atoi(arg); break;
    case 'L': raw.loginAll = true; raw.groupMode = arg; break;
    case 'U': raw.logoutAll = true; raw.groupMode = arg; break;
    case 'C': raw.submode = SUBMODE_WORDS.find((w) => w === arg); break;
    case 'T': raw.targetName = arg; break;
    case 'p': parsePortal(raw, arg); break;
    case 'a': raw.pingAddress = arg; break;
    case 'b': raw.packetSize = atoi(arg); break;
    case 'c': raw.count = atoi(arg); break;
    case 'i': raw.interval = atoi(arg); break;
    case 'A': raw.portalType = arg === 'ipv4' || arg === 'ipv6' ? arg : undefined; break;
  }
}

/** The boolean fields set by flag letters. */
type FlagField = 'rescan' | 'discover' | 'login' | 'logout' | 'stats' | 'show' | 'noWait';

/** Flags without an argument. */
const FLAGS: Readonly<Record<string, FlagField>> = {
  R: 'rescan', D: 'discover', l: 'login', u: 'logout', s: 'stats', S: 'show', W: 'noWait',
};

/**
 * Apply one option (not -m/-V/-h, which the main loop handles). Returns an error when
 * iscsiadm would stop here. After every option a complete -n/-v pair is stored.
 */
export function applyOption(raw: RawArgs, letter: string, arg: string | undefined, ctx: ApplyContext): CliError | undefined {
  const flag = FLAGS[letter];
  if (flag !== undefined) {
    raw[flag] = true;
  } else if (arg !== undefined) {
    const err = applyChecked(raw, letter, arg, ctx);
    if (err) return err;
    applyValue(raw, letter, arg);
  }
  if (raw.pendingName !== undefined && raw.pendingValue !== undefined) {
    raw.params.push({ name: raw.pendingName, value: raw.pendingValue });
    raw.pendingName = undefined;
    raw.pendingValue = undefined;
  }
  return undefined;
}
