/**
 * tsiscsiadm's help texts: the global usage (`-h`, `--help` before any mode) and a short
 * page per mode (`-m MODE --help`, our extension). Same structure as iscsiadm's usage (one
 * synopsis per mode, then the options), our own words.
 */
import type { ModeName } from './argv/types.js';

/** One mode's synopsis line(s) and a few lines of explanation. */
interface ModePage {
  readonly synopsis: readonly string[];
  readonly details: readonly string[];
}

const PAGES: Readonly<Record<ModeName, ModePage>> = {
  discovery: {
    synopsis: [
      '-m discovery [-d N] [-P 0|1] -t st|sendtargets|isns|fw -p ip[:port] [-I iface]... [-o op]... [-l] [-W]',
      '-m discovery [-P 0|1] [-p ip[:port] [-l | -D | -o show|delete]]',
    ],
    details: [
      'Ask a portal (SendTargets), an iSNS server or the firmware for targets and record them.',
      'Without -o, discovery adds new records, updates known ones and deletes vanished ones',
      '(-o new, -o update, -o delete; -o nonpersistent touches nothing). -l logs in afterwards.',
      'Without -t, lists the stored discovery records or acts on one of them.',
    ],
  },
  discoverydb: {
    synopsis: [
      '-m discoverydb -t st|isns|fw -p ip[:port] [-I iface]... [-o new|delete|update|show]... [-n key -v value]... [-D] [-l]',
      '-m discoverydb [-P 0|1]',
    ],
    details: [
      'Edit stored discovery records: -o new creates one, -o update -n key -v value changes keys,',
      '-o delete removes it, -o show (or nothing) prints it (-S shows secrets). -D runs discovery.',
    ],
  },
  node: {
    synopsis: [
      '-m node [-d N] [-P 0|1] [-L all|manual|automatic|onboot] [-U all|manual|automatic] [-W] [-S]',
      '-m node [-T target] [-p ip[:port][,tpgt]] [-I iface] [-l | -u | -R | -s]',
      '-m node [-T target] [-p ip[:port][,tpgt]] [-I iface] -o new|delete|update|show [-n key -v value]...',
    ],
    details: [
      'List node records, log in or out of the matching ones (-l, -u; -L/-U by startup setting),',
      'rescan (-R) or show statistics (-s) of their sessions, or create, edit, print or delete them.',
    ],
  },
  session: {
    synopsis: [
      '-m session [-d N] [-P 0..3] [-S]',
      '-m session [-r sid|sysfs-path] [-R | -u | -s | -P 1..3 | -o new|show|update|delete [-n key -v value]...]',
    ],
    details: [
      'List sessions (-P 1..3 adds interface, state, negotiated parameters and SCSI devices),',
      'or act on one (-r) or all: rescan LUNs (-R), log out (-u), statistics (-s).',
      '-r N -o new opens one more session like session N.',
    ],
  },
  iface: {
    synopsis: [
      '-m iface [-d N] [-P 0|1] [-I name | -H host|MAC] [-o new|delete|update|show|apply|applyall] [-n key -v value]...',
      '-m iface -I name -C ping -a ip [-b packetsize] [-c count] [-i interval]',
    ],
    details: [
      'List, create, edit or delete interface records (which NIC/transport a session uses),',
      'push their network settings to an offload card (apply, applyall), or ping from one.',
    ],
  },
  host: {
    synopsis: [
      '-m host [-d N] [-P 0..4] [-H host|MAC]',
      '-m host -H host [-C chap [-x index] | -C flashnode [-A ipv4|ipv6] [-x index] | -C stats] [-o op] [-n key -v value]...',
    ],
    details: [
      'List iSCSI hosts (-P 2.. adds their sessions), or manage an offload card: its CHAP table,',
      'its flash target entries (flashnode) or its statistics.',
    ],
  },
  fw: {
    synopsis: ['-m fw [-d N] [-l [-W]]'],
    details: ['Print the boot targets the firmware (iBFT) describes, or log in to them (-l).'],
  },
};

const ORDER: readonly ModeName[] = ['discoverydb', 'discovery', 'node', 'session', 'iface', 'fw', 'host'];

const OPTIONS: readonly string[] = [
  'Options:',
  '  -m, --mode MODE          discovery, discoverydb, node, session, iface, host or fw',
  '  -p, --portal P           ip[:port][,tpgt]; IPv6 as [addr][:port] (default port 3260, iSNS 3205)',
  '  -T, --targetname NAME    target name          -I, --interface NAME   iface record',
  '  -o, --op OP              new, delete, update, show, nonpersistent, apply, applyall (repeatable)',
  '  -n, --name KEY           record key           -v, --value VALUE      its new value (pairs repeat)',
  '  -t, --type TYPE          st|sendtargets, isns or fw',
  '  -l, --login  -u, --logout  -L, --loginall F  -U, --logoutall F  -W, --no_wait',
  '  -r, --sid SID|PATH       one session          -R, --rescan  -s, --stats  -S, --show',
  '  -P, --print LEVEL        detail level         -d, --debug LEVEL      log level',
  '  -H, --host H  -C, --submode S  -x, --index N  -A, --portal_type T  -D, --discover',
  '  -a, --ip IP  -b, --packetsize N  -c, --count N  -i, --interval N   (iface ping)',
  '  -k, --killiscsid 0       stop the daemon      -V, --version  -h, --help',
  'tsiscsiadm extensions:',
  '  --json                   machine-readable output (any mode)',
  '  -m MODE --help           help for one mode',
  '  --install-iscsiadm-alias[=PATH]    install an iscsiadm name for tsiscsiadm (opt-in)',
  '  --uninstall-iscsiadm-alias[=PATH]  remove it',
  '  --import-open-iscsi[=ROOT]         copy an existing open-iscsi record database',
  'Environment:',
  '  TSISCSI_ROOT=DIR         prefix of tsiscsid\'s paths (its control socket is DIR/run/tsiscsi/tsiscsid.sock)',
];

/** The global usage text (ends with a newline). */
export function globalUsage(programName = 'tsiscsiadm'): string {
  const lines: string[] = ['Usage:'];
  for (const mode of ORDER) for (const s of PAGES[mode].synopsis) lines.push(`  ${programName} ${s}`);
  lines.push(`  ${programName} -k 0`, '', ...OPTIONS);
  return `${lines.join('\n')}\n`;
}

/** The help page of one mode (ends with a newline). */
export function modeHelp(mode: ModeName, programName = 'tsiscsiadm'): string {
  const page = PAGES[mode];
  const lines = ['Usage:', ...page.synopsis.map((s) => `  ${programName} ${s}`), '', ...page.details, '', `See "${programName} --help" for all options.`];
  return `${lines.join('\n')}\n`;
}

/** Help for a HelpCommand topic. */
export function renderHelp(topic: ModeName | 'global', programName = 'tsiscsiadm'): string {
  return topic === 'global' ? globalUsage(programName) : modeHelp(topic, programName);
}
