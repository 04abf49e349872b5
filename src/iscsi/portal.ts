/**
 * Portal addresses: the TargetAddress key sent by targets (RFC 7143 §13.8) and
 * portals typed by users (`iscsiadm -p`), plus open-iscsi's printed forms.
 *
 * TargetAddress = domainname[:port][,portal-group-tag], where domainname is a
 * DNS host name, a dotted-decimal IPv4 address, or an IPv6 address in brackets
 * (RFC 3986 style, `[fe80::1%eth0]`). The port defaults to 3260 (§13.8); the
 * tag is the target portal group tag, 0..65535 (§13.9; 0 is legal).
 */
import { ConfigError, ProtocolError } from '../shared/errors.js';

/** Well-known iSCSI port (RFC 7143 §13.8, IANA). */
export const ISCSI_DEFAULT_PORT = 3260;
/** open-iscsi's PORTAL_GROUP_TAG_UNKNOWN: a portal whose tag was not reported. */
export const TPGT_UNKNOWN = -1;

/** A parsed portal address. */
export interface ParsedPortal {
  /** Host without brackets: IPv4, IPv6 (zone kept, e.g. `fe80::1%eth0`) or DNS name. */
  host: string;
  port: number;
  /** Portal group tag when one was given. */
  tpgt?: number;
  /** 4 = IPv4 literal, 6 = IPv6 literal, 0 = host name (needs resolving). */
  family: 4 | 6 | 0;
}

type Split = { ok: true; value: ParsedPortal } | { ok: false; reason: string };

const DIGITS = /^[0-9]{1,5}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE = /^[A-Za-z0-9._~-]+$/;
const LABEL = /^[A-Za-z0-9_-]{1,63}$/;

/** Dotted-decimal IPv4, four parts 0..255 without leading zeros (they would read as octal elsewhere). */
export function isIpv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** IPv6 text form (RFC 4291 §2.2), optionally with an embedded IPv4 tail and a `%zone`. */
export function isIpv6(s: string): boolean {
  let addr = s;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (!ZONE.test(s.slice(pct + 1).replace(/^25/, ''))) return false;
    addr = s.slice(0, pct);
  }
  const lastColon = addr.lastIndexOf(':');
  if (lastColon < 0) return false;
  const tail = addr.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIpv4(tail)) return false;
    addr = `${addr.slice(0, lastColon + 1)}0:0`;
  }
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = (p: string): string[] => (p === '' ? [] : p.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...rest].every((g) => HEX_GROUP.test(g))) return false;
  return halves.length === 1 ? head.length === 8 : head.length + rest.length <= 7;
}

/** A DNS host name (RFC 1123, liberal: `_` allowed, optional trailing dot); all-numeric names are refused. */
function isHostName(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every((l) => LABEL.test(l)) && !labels.every((l) => /^[0-9]+$/.test(l));
}

function parseNumber(text: string, min: number, what: string): number | string {
  if (!DIGITS.test(text)) return `${what} "${text}" is not a decimal number`;
  const n = Number(text);
  return n < min || n > 65535 ? `${what} ${n} out of range ${min}..65535` : n;
}

/** Host part plus optional port text, from `[v6]:port`, `host:port`, `host` or (when allowed) a bare IPv6. */
function splitHostPort(hp: string, allowBareIpv6: boolean): { host: string; port?: string; family?: 6 } | string {
  if (hp.startsWith('[')) {
    const close = hp.indexOf(']');
    if (close < 0) return 'missing "]" after IPv6 address';
    const host = hp.slice(1, close);
    if (!isIpv6(host)) return `"${host}" in brackets is not an IPv6 address`;
    const after = hp.slice(close + 1);
    if (after === '') return { host, family: 6 };
    if (!after.startsWith(':')) return `unexpected "${after}" after "]"`;
    return { host, port: after.slice(1), family: 6 };
  }
  const colons = hp.split(':').length - 1;
  if (colons === 0) return { host: hp };
  if (colons === 1) {
    const i = hp.indexOf(':');
    return { host: hp.slice(0, i), port: hp.slice(i + 1) };
  }
  if (allowBareIpv6 && isIpv6(hp)) return { host: hp, family: 6 };
  return 'IPv6 address must be in brackets';
}

/** Shared grammar of TargetAddress and `-p`; returns the reason on failure. */
function splitPortal(s: string, defaultPort: number, allowBareIpv6: boolean): Split {
  if (s === '') return { ok: false, reason: 'empty address' };
  const comma = s.indexOf(',');
  const hp = comma < 0 ? s : s.slice(0, comma);
  const hostPort = splitHostPort(hp, allowBareIpv6);
  if (typeof hostPort === 'string') return { ok: false, reason: hostPort };
  const { host } = hostPort;
  let family: 4 | 6 | 0;
  if (hostPort.family === 6) family = 6;
  else if (isIpv4(host)) family = 4;
  else if (isHostName(host)) family = 0;
  else return { ok: false, reason: host === '' ? 'empty host' : `"${host}" is not an IPv4 address or host name` };
  const value: ParsedPortal = { host, port: defaultPort, family };
  if (hostPort.port !== undefined) {
    const port = parseNumber(hostPort.port, 1, 'port');
    if (typeof port === 'string') return { ok: false, reason: port };
    value.port = port;
  }
  if (comma >= 0) {
    const tpgt = parseNumber(s.slice(comma + 1), 0, 'portal group tag');
    if (typeof tpgt === 'string') return { ok: false, reason: tpgt };
    value.tpgt = tpgt;
  }
  return { ok: true, value };
}

/**
 * Parse a TargetAddress value (RFC 7143 §13.8) from SendTargets or a login
 * redirect. Missing port → 3260; missing tag → `tpgt` absent; `,0` is a valid
 * tag. An unbracketed IPv6 literal (two or more colons, no port) is accepted
 * as a courtesy. Throws ProtocolError `BAD_TARGET_ADDRESS` (where
 * "TargetAddress") for anything else: `[::1`, `host:abc`, empty, port 0 or
 * > 65535, tag > 65535, whitespace, empty port or tag.
 */
export function parseTargetAddress(value: string): ParsedPortal {
  const r = splitPortal(value, ISCSI_DEFAULT_PORT, true);
  if (r.ok) return r.value;
  throw new ProtocolError('BAD_TARGET_ADDRESS', `bad TargetAddress "${value}": ${r.reason}`, { where: 'TargetAddress', details: { value } });
}

/**
 * Parse a portal typed by a user (`-p`): `ip[:port][,tpgt]`, `[v6][:port][,tpgt]`,
 * a bare IPv6 with two or more colons (no port), or `host[:port]`. Surrounding
 * whitespace is ignored. Throws ConfigError `BAD_PORTAL` (errno 7) on bad input.
 */
export function parsePortal(s: string, defaultPort: number = ISCSI_DEFAULT_PORT): ParsedPortal {
  const r = splitPortal(s.trim(), defaultPort, true);
  if (r.ok) return r.value;
  throw new ConfigError('BAD_PORTAL', `bad portal "${s}": ${r.reason}`, { details: { portal: s } });
}

/**
 * `addr:port`, or `[addr]:port` when `withBrackets` and the address contains
 * no "." — open-iscsi's printer rule (reference §6): anything without a dot,
 * an IPv6 literal or a dot-less name such as `localhost`, is bracketed.
 */
export function formatPortal(p: { host: string; port: number }, withBrackets = true): string {
  const addr = withBrackets && !p.host.includes('.') ? `[${p.host}]` : p.host;
  return `${addr}:${p.port}`;
}

/**
 * `addr:port,tpgt` as in `iscsiadm -m discovery` output and session lines
 * (`%s:%d,%d`, IPv6 `[%s]:%d,%d`): tag printed signed, so unknown shows `-1`.
 * Example: `127.0.0.1:3260,1`, `[fe80::1]:3260,1`.
 */
export function formatPortalForRecord(host: string, port: number, tpgt: number): string {
  return `${formatPortal({ host, port })},${tpgt}`;
}

/**
 * `addr:port,tpgt` as in `iscsiadm -m node` lines (`%s,%u`): the tag printed
 * unsigned 32-bit, so an unknown tag (-1) shows `4294967295` (reference §6.2).
 */
export function formatPortalForNodeList(host: string, port: number, tpgt: number): string {
  return `${formatPortal({ host, port })},${tpgt >>> 0}`;
}
