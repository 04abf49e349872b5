/**
 * A re-statement of glibc's getopt_long (default "permute" ordering) as a pure scan: it turns
 * an argv into the sequence of options getopt would return, including its error messages.
 *
 * Rules reproduced (glibc 2.36, as iscsiadm 2.1.8 on Debian 12 uses it):
 * - Non-options are skipped (they are permuted to the end); `--` ends option parsing; a lone
 *   `-` is a non-option.
 * - Short clusters (`-lu`, `-P1`); a required argument is the rest of the cluster or the
 *   next element, whatever it looks like (`-P -Z` gives -P the argument "-Z").
 * - Long options: an exact name wins; otherwise a unique prefix; several prefixes → ambiguous
 *   (candidates listed in table order). `--x=v` on a no-argument option is an error; a
 *   required argument comes from `=v` or the next element; an optional one only from `=v`.
 * - optopt after an error: the letter for short errors and for long "requires/doesn't allow
 *   an argument"; 0 (here '') for unrecognized and ambiguous long options.
 */
import {
  EXTENSION_HAS_ARG, EXTENSION_OPTIONS, LONG_OPTIONS, SHORT_OPTIONS,
  type ExtensionName, type HasArg, type LongOption,
} from './option-table.js';

/** What one getopt_long call yields. */
export type GetoptEvent =
  /** An iscsiadm option, as its short letter (long forms map to their letter). */
  | { readonly kind: 'opt'; readonly letter: string; readonly arg?: string }
  /** One of our exact-match extension long options. */
  | { readonly kind: 'ext'; readonly name: ExtensionName; readonly arg?: string }
  /** getopt's '?': `message` is the line glibc prints; `optopt` is '' for glibc's 0. */
  | { readonly kind: 'err'; readonly message: string; readonly optopt: string };

/** Whether the short letter takes an argument; undefined if it is not an option letter. */
function shortArgKind(letter: string): HasArg | undefined {
  if (letter === ':' || letter === ';') return undefined;
  const at = SHORT_OPTIONS.indexOf(letter);
  if (at < 0) return undefined;
  return SHORT_OPTIONS[at + 1] === ':' ? 'required' : 'none';
}

/** Scan a cluster such as `-lP1`; returns the events and how many argv elements it used. */
function scanShort(argv: readonly string[], i: number, argv0: string): { events: GetoptEvent[]; used: number } {
  const word = argv[i]!;
  const events: GetoptEvent[] = [];
  for (let j = 1; j < word.length; j++) {
    const letter = word[j]!;
    const kind = shortArgKind(letter);
    if (kind === undefined) {
      events.push({ kind: 'err', message: `${argv0}: invalid option -- '${letter}'`, optopt: letter });
      continue;
    }
    if (kind === 'none') {
      events.push({ kind: 'opt', letter });
      continue;
    }
    if (j + 1 < word.length) {
      events.push({ kind: 'opt', letter, arg: word.slice(j + 1) });
      return { events, used: 1 };
    }
    if (i + 1 < argv.length) {
      events.push({ kind: 'opt', letter, arg: argv[i + 1]! });
      return { events, used: 2 };
    }
    events.push({ kind: 'err', message: `${argv0}: option requires an argument -- '${letter}'`, optopt: letter });
    return { events, used: 1 };
  }
  return { events, used: 1 };
}

/** Find the long option for `name` (exact first, then a unique prefix). */
function lookupLong(name: string): LongOption | { ambiguous: LongOption[] } | undefined {
  const exact = LONG_OPTIONS.find((o) => o.name === name);
  if (exact) return exact;
  const prefixed = LONG_OPTIONS.filter((o) => o.name.startsWith(name));
  if (prefixed.length === 0) return undefined;
  if (prefixed.length === 1) return prefixed[0];
  return { ambiguous: prefixed };
}

/** Attach the argument of a long (or extension) option; returns the arg or an error message. */
function longArgument(
  argv: readonly string[], i: number, hasArg: HasArg, inline: string | undefined,
): { arg?: string; used: number; missing?: true; unexpected?: true } {
  if (inline !== undefined) {
    return hasArg === 'none' ? { used: 1, unexpected: true } : { arg: inline, used: 1 };
  }
  if (hasArg !== 'required') return { used: 1 };
  if (i + 1 < argv.length) return { arg: argv[i + 1]!, used: 2 };
  return { used: 1, missing: true };
}

/** Scan one `--name[=value]` element. */
function scanLong(argv: readonly string[], i: number, argv0: string): { events: GetoptEvent[]; used: number } {
  const text = argv[i]!.slice(2);
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const inline = eq < 0 ? undefined : text.slice(eq + 1);
  const ext = (EXTENSION_OPTIONS as readonly string[]).includes(name) ? (name as ExtensionName) : undefined;
  if (ext !== undefined) {
    const a = longArgument(argv, i, EXTENSION_HAS_ARG[ext], inline);
    if (a.unexpected) {
      return { events: [{ kind: 'err', message: `${argv0}: option '--${ext}' doesn't allow an argument`, optopt: '' }], used: 1 };
    }
    return { events: [{ kind: 'ext', name: ext, ...(a.arg === undefined ? {} : { arg: a.arg }) }], used: a.used };
  }
  const found = lookupLong(name);
  if (found === undefined) {
    return { events: [{ kind: 'err', message: `${argv0}: unrecognized option '--${text}'`, optopt: '' }], used: 1 };
  }
  if ('ambiguous' in found) {
    const list = found.ambiguous.map((o) => ` '--${o.name}'`).join('');
    return { events: [{ kind: 'err', message: `${argv0}: option '--${text}' is ambiguous; possibilities:${list}`, optopt: '' }], used: 1 };
  }
  const a = longArgument(argv, i, found.hasArg, inline);
  if (a.unexpected) {
    return { events: [{ kind: 'err', message: `${argv0}: option '--${found.name}' doesn't allow an argument`, optopt: found.letter }], used: 1 };
  }
  if (a.missing) {
    return { events: [{ kind: 'err', message: `${argv0}: option '--${found.name}' requires an argument`, optopt: found.letter }], used: 1 };
  }
  return { events: [{ kind: 'opt', letter: found.letter, ...(a.arg === undefined ? {} : { arg: a.arg }) }], used: a.used };
}

/**
 * Every option event getopt_long would return for `argv` (program name excluded), in order.
 * `argv0` is the program name glibc puts in front of its own messages.
 */
export function scanOptions(argv: readonly string[], argv0: string): GetoptEvent[] {
  const events: GetoptEvent[] = [];
  let i = 0;
  while (i < argv.length) {
    const word = argv[i]!;
    if (word === '--') break;
    if (word.length < 2 || word[0] !== '-') {
      i++;
      continue;
    }
    const step = word[1] === '-' ? scanLong(argv, i, argv0) : scanShort(argv, i, argv0);
    events.push(...step.events);
    i += step.used;
  }
  return events;
}
