/**
 * iscsiadm 2.1.8's option table, read from the Debian 12 binary (`struct option
 * long_options[]` and the short option string) and the per-mode letter lists (reference §6.9).
 * Order matters: glibc lists ambiguous long-option candidates in table order.
 */
import type { ModeName } from './types.js';

/** How a long option takes its argument (getopt_long has_arg). */
export type HasArg = 'none' | 'required' | 'optional';

/** One long option: its name, argument kind and the letter getopt returns for it. */
export interface LongOption {
  readonly name: string;
  readonly hasArg: HasArg;
  readonly letter: string;
}

/** The long options in iscsiadm's table order. */
export const LONG_OPTIONS: readonly LongOption[] = [
  { name: 'mode', hasArg: 'required', letter: 'm' },
  { name: 'portal', hasArg: 'required', letter: 'p' },
  { name: 'targetname', hasArg: 'required', letter: 'T' },
  { name: 'interface', hasArg: 'required', letter: 'I' },
  { name: 'op', hasArg: 'required', letter: 'o' },
  { name: 'type', hasArg: 'required', letter: 't' },
  { name: 'name', hasArg: 'required', letter: 'n' },
  { name: 'value', hasArg: 'required', letter: 'v' },
  { name: 'host', hasArg: 'required', letter: 'H' },
  { name: 'sid', hasArg: 'required', letter: 'r' },
  { name: 'rescan', hasArg: 'none', letter: 'R' },
  { name: 'print', hasArg: 'required', letter: 'P' },
  { name: 'discover', hasArg: 'none', letter: 'D' },
  { name: 'login', hasArg: 'none', letter: 'l' },
  { name: 'loginall', hasArg: 'required', letter: 'L' },
  { name: 'logout', hasArg: 'none', letter: 'u' },
  { name: 'logoutall', hasArg: 'required', letter: 'U' },
  { name: 'stats', hasArg: 'none', letter: 's' },
  { name: 'killiscsid', hasArg: 'required', letter: 'k' },
  { name: 'debug', hasArg: 'required', letter: 'd' },
  { name: 'show', hasArg: 'none', letter: 'S' },
  { name: 'version', hasArg: 'none', letter: 'V' },
  { name: 'help', hasArg: 'none', letter: 'h' },
  { name: 'submode', hasArg: 'required', letter: 'C' },
  { name: 'ip', hasArg: 'required', letter: 'a' },
  { name: 'packetsize', hasArg: 'required', letter: 'b' },
  { name: 'count', hasArg: 'required', letter: 'c' },
  { name: 'interval', hasArg: 'required', letter: 'i' },
  { name: 'index', hasArg: 'required', letter: 'x' },
  // Optional in the long form only: `--portal_type` without `=v` crashes iscsiadm 2.1.8.
  { name: 'portal_type', hasArg: 'optional', letter: 'A' },
  { name: 'no_wait', hasArg: 'none', letter: 'W' },
];

/** The getopt short option string of iscsiadm 2.1.8 (letter followed by ':' takes an argument). */
export const SHORT_OPTIONS = 'RlDVhm:a:b:c:C:p:P:T:H:i:I:U:k:L:d:r:n:v:o:sSt:ux:A:W';

/** Letters each mode accepts (reference §6.9); any other letter → "option '-%c' is not allowed/supported". */
export const MODE_LETTERS: Readonly<Record<ModeName, string>> = {
  discovery: 'DSIPdmntplov',
  discoverydb: 'DSIPdmntplov',
  node: 'RsPIdmlSonvupTULW',
  session: 'PiRdrmusonuSv',
  host: 'CHdmPotnvxA',
  iface: 'HIdnvmPoCabci',
  fw: 'dmlWnv',
};

/** The mode name used in the "not allowed" message (discoverydb reports as "discovery"). */
export const MODE_LABEL: Readonly<Record<ModeName, string>> = {
  discovery: 'discovery',
  discoverydb: 'discovery',
  node: 'node',
  session: 'session',
  host: 'host',
  iface: 'iface',
  fw: 'fw',
};

/**
 * Our extensions. They match by exact name only and never take part in abbreviation or
 * ambiguity, so every abbreviation of an open-iscsi option resolves (or fails) exactly as
 * in iscsiadm.
 */
export const EXTENSION_OPTIONS = ['json', 'install-iscsiadm-alias', 'uninstall-iscsiadm-alias', 'import-open-iscsi'] as const;

/** Name of one extension long option. */
export type ExtensionName = (typeof EXTENSION_OPTIONS)[number];

/** Whether an extension takes `=VALUE` (optional) or nothing. */
export const EXTENSION_HAS_ARG: Readonly<Record<ExtensionName, HasArg>> = {
  json: 'none',
  'install-iscsiadm-alias': 'optional',
  'uninstall-iscsiadm-alias': 'optional',
  'import-open-iscsi': 'optional',
};

/** `-m` words (exact, case-sensitive like strcmp). */
export const MODE_WORDS: readonly ModeName[] = ['discovery', 'discoverydb', 'node', 'session', 'iface', 'fw', 'host'];
