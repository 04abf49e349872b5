/**
 * parseCommandLine: iscsiadm 2.1.8's main loop, re-stated.
 *
 * Observed behaviour (golden fixtures in test/fixtures/iscsiadm/argv/) that this follows:
 * - Options are handled one by one in command-line order (glibc getopt_long, see getopt.ts).
 *   Value errors (-o, -r, -H, -x, -I, -k) stop at once; getopt's own complaints are printed
 *   and parsing goes on.
 * - `-V` and `-h` act at once (so only before any -m: after a mode they are letters the mode
 *   refuses; our extension: `-h/--help` after a mode shows that mode's help).
 * - Each `-m` with a valid word re-scans the whole command line against that mode's letters
 *   (printing getopt's complaints again up to the first refused option) and fails with
 *   "<mode> mode: option '-<c>' is not allowed/supported"; an invalid word fails with
 *   "mode -1 is not yet supported".
 * - With no mode at the end: a pending getopt error gives "unrecognized character", else -k
 *   stops iscsid, else the usage hint (exit 7).
 * - The mode builders (modes/*.ts) then make the checks iscsiadm makes before touching state.
 */
import { scanOptions, type GetoptEvent } from './getopt.js';
import { cliError, MSG, prefixed } from './messages.js';
import { buildDiscovery, buildDiscoveryDb } from './modes/discovery.js';
import { buildFw } from './modes/fw.js';
import { buildHost } from './modes/host.js';
import { buildIface } from './modes/iface.js';
import { buildNode } from './modes/node.js';
import { buildSession } from './modes/session.js';
import { MODE_LABEL, MODE_LETTERS, MODE_WORDS } from './option-table.js';
import { applyOption, newRawArgs, type ApplyContext, type RawArgs } from './raw-args.js';
import type { CliError, Command, ModeName, ParseOptions } from './types.js';

/**
 * The lines a `-m <mode>` re-scan prints when some option is not allowed in that mode, or
 * undefined when all are. getopt complaints count as the letter '?'. `-h` (our per-mode help)
 * and our extension options are allowed everywhere.
 */
function verifyMode(events: readonly GetoptEvent[], mode: ModeName, prog: string): string[] | undefined {
  const lines: string[] = [];
  for (const ev of events) {
    if (ev.kind === 'ext') continue;
    if (ev.kind === 'err') {
      lines.push(ev.message);
      lines.push(prefixed(prog, MSG.notAllowed(MODE_LABEL[mode], '?')));
      return lines;
    }
    if (ev.letter !== 'h' && !MODE_LETTERS[mode].includes(ev.letter)) {
      lines.push(prefixed(prog, MSG.notAllowed(MODE_LABEL[mode], ev.letter)));
      return lines;
    }
  }
  return undefined;
}

/** Put lines that were already printed (getopt complaints) in front of an error. */
function after(printed: readonly string[], err: CliError): CliError {
  return printed.length === 0 ? err : { ...err, stderr: [...printed, ...err.stderr] };
}

/** End of the loop without a mode. */
function noMode(raw: RawArgs, optopt: string, printed: readonly string[], prog: string): Command | CliError {
  if (optopt !== '') return cliError(7, [...printed, prefixed(prog, MSG.unrecognizedChar(optopt))], raw.json);
  if (raw.kill === 0) return { mode: 'killiscsid', json: raw.json, priority: 0, notices: [...printed] };
  if (raw.kill > 0) return cliError(0, [...printed, prefixed(prog, MSG.killNotZero(raw.kill))], raw.json);
  return cliError(7, [...printed, MSG.usageHint(prog)], raw.json);
}

function buildMode(mode: ModeName, raw: RawArgs, prog: string): Command | CliError {
  const ctx = { prog };
  switch (mode) {
    case 'discovery': return buildDiscovery(raw, ctx);
    case 'discoverydb': return buildDiscoveryDb(raw, ctx);
    case 'node': return buildNode(raw, ctx);
    case 'session': return buildSession(raw, ctx);
    case 'iface': return buildIface(raw, ctx);
    case 'host': return buildHost(raw, ctx);
    case 'fw': return buildFw(raw);
  }
}

/** One event of the main loop: a finished result, or undefined to go on. */
function step(
  ev: GetoptEvent, events: readonly GetoptEvent[], state: { raw: RawArgs; mode?: ModeName; printed: string[] }, ctx: ApplyContext,
): Command | CliError | undefined {
  const { raw, printed } = state;
  if (ev.kind === 'err') return undefined;
  if (ev.kind === 'ext') {
    if (ev.name === 'json') return undefined;
    return { mode: ev.name, json: raw.json, ...(ev.arg === undefined ? {} : { value: ev.arg }), notices: [...printed] };
  }
  switch (ev.letter) {
    case 'm': {
      const mode = MODE_WORDS.find((w) => w === ev.arg);
      if (mode === undefined) return cliError(7, [...printed, prefixed(ctx.prog, MSG.modeUnsupported())], raw.json);
      const refused = verifyMode(events, mode, ctx.prog);
      if (refused !== undefined) return cliError(7, [...printed, ...refused], raw.json);
      state.mode = mode;
      return undefined;
    }
    case 'V': return { mode: 'version', json: raw.json, notices: [...printed] };
    case 'h': return { mode: 'help', json: raw.json, topic: state.mode ?? 'global', notices: [...printed] };
    default: {
      const err = applyOption(raw, ev.letter, ev.arg, ctx);
      return err === undefined ? undefined : after(printed, err);
    }
  }
}

/**
 * Parse a tsiscsiadm command line (arguments after the program name) the way iscsiadm
 * 2.1.8 does. Returns the Command to execute, or the CliError to print (and nothing else).
 */
export function parseCommandLine(argv: readonly string[], options: ParseOptions = {}): Command | CliError {
  const prog = options.programName ?? 'iscsiadm';
  const events = scanOptions(argv, options.argv0 ?? 'iscsiadm');
  const json = events.some((ev) => ev.kind === 'ext' && ev.name === 'json');
  const state: { raw: RawArgs; mode?: ModeName; printed: string[] } = { raw: newRawArgs(json), printed: [] };
  const ctx: ApplyContext = { prog, options };
  let optopt = '';
  for (const ev of events) {
    const done = step(ev, events, state, ctx);
    if (done !== undefined) return done;
    if (ev.kind === 'err') {
      state.printed.push(ev.message);
      optopt = ev.optopt;
    }
  }
  if (state.mode === undefined) return noMode(state.raw, optopt, state.printed, prog);
  return buildMode(state.mode, state.raw, prog);
}
