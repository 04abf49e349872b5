/**
 * Every option letter in every mode (reference §6.9): allowed letters pass the mode check,
 * all others give "<mode> mode: option '-<c>' is not allowed/supported" and exit 7, in both
 * short and long spelling.
 */
import { describe, expect, it } from 'vitest';
import { isCliError, parseCommandLine, type Command, type CliError, type ModeName } from '../../../src/cli/argv/index.js';

/** Reference §6.9, restated. */
const ALLOWED: Record<ModeName, string> = {
  discovery: 'DSIPdmntplov',
  discoverydb: 'DSIPdmntplov',
  node: 'RsPIdmlSonvupTULW',
  session: 'PiRdrmusonuSv',
  host: 'CHdmPotnvxA',
  iface: 'HIdnvmPoCabci',
  fw: 'dmlWnv',
};
const LABEL: Record<ModeName, string> = {
  discovery: 'discovery', discoverydb: 'discovery', node: 'node', session: 'session', host: 'host', iface: 'iface', fw: 'fw',
};

/** iscsiadm 2.1.8's letters with a harmless argument for those that take one. */
const LETTERS: Array<[string, string | undefined, string]> = [
  ['R', undefined, 'rescan'], ['l', undefined, 'login'], ['D', undefined, 'discover'], ['V', undefined, 'version'],
  ['h', undefined, 'help'], ['m', 'node', 'mode'], ['a', '10.0.0.1', 'ip'], ['b', '32', 'packetsize'], ['c', '1', 'count'],
  ['C', 'stats', 'submode'], ['p', '10.0.0.1', 'portal'], ['P', '0', 'print'], ['T', 'iqn.2000-01.x:t', 'targetname'],
  ['H', '1', 'host'], ['i', '0', 'interval'], ['I', 'default', 'interface'], ['U', 'all', 'logoutall'], ['k', '0', 'killiscsid'],
  ['L', 'all', 'loginall'], ['d', '1', 'debug'], ['r', '1', 'sid'], ['n', 'node.startup', 'name'], ['v', 'manual', 'value'],
  ['o', 'show', 'op'], ['s', undefined, 'stats'], ['S', undefined, 'show'], ['t', 'st', 'type'], ['u', undefined, 'logout'],
  ['x', '1', 'index'], ['A', 'ipv4', 'portal_type'], ['W', undefined, 'no_wait'],
];

const MODES = Object.keys(ALLOWED) as ModeName[];

function refusedWith(r: Command | CliError): string | undefined {
  if (!isCliError(r)) return undefined;
  const line = r.stderr.find((l) => l.includes('is not allowed/supported'));
  return line;
}

describe('§6.9 letters per mode', () => {
  it('the table covers the whole short option string of iscsiadm 2.1.8', () => {
    const letters = 'RlDVhm:a:b:c:C:p:P:T:H:i:I:U:k:L:d:r:n:v:o:sSt:ux:A:W'.replace(/:/g, '').split('').sort();
    expect(LETTERS.map(([l]) => l).sort()).toEqual(letters);
  });

  for (const mode of MODES) {
    for (const [letter, arg, long] of LETTERS) {
      // For -m the value must be the same mode, or the check would switch to another mode.
      const value = letter === 'm' ? mode : arg;
      const short = ['-m', mode, `-${letter}`, ...(value === undefined ? [] : [value])];
      const longForm = ['-m', mode, `--${long}`, ...(value === undefined ? [] : [value])];
      if (letter === 'h') {
        it(`${mode}: -h/--help shows this mode's help (our extension)`, () => {
          for (const argv of [short, longForm]) {
            const r = parseCommandLine(argv);
            expect(r).toMatchObject({ mode: 'help', topic: mode });
          }
        });
      } else if (ALLOWED[mode].includes(letter)) {
        it(`${mode}: -${letter} / --${long} is allowed`, () => {
          expect(refusedWith(parseCommandLine(short))).toBeUndefined();
          expect(refusedWith(parseCommandLine(longForm))).toBeUndefined();
        });
      } else {
        it(`${mode}: -${letter} / --${long} is refused with exit 7`, () => {
          const expected = { kind: 'cli-error', exitCode: 7, stdout: [], stderr: [`iscsiadm: ${LABEL[mode]} mode: option '-${letter}' is not allowed/supported`] };
          expect(parseCommandLine(short)).toMatchObject(expected);
          expect(parseCommandLine(longForm)).toMatchObject(expected);
        });
      }
    }
  }

  it('the first refused option in command-line order is the one reported, before any value error', () => {
    expect(parseCommandLine(['-m', 'node', '-o', 'bogus', '-r', '1', '-H', '2'])).toMatchObject({
      exitCode: 7, stderr: ["iscsiadm: node mode: option '-r' is not allowed/supported"],
    });
    expect(parseCommandLine(['-x', '1', '-m', 'iface'])).toMatchObject({
      stderr: ["iscsiadm: iface mode: option '-x' is not allowed/supported"],
    });
  });

  it('options after `--` are not options', () => {
    expect(parseCommandLine(['-m', 'node', '--', '-r', '1'])).toMatchObject({ mode: 'node', action: 'list' });
  });

  it('--json is accepted in every mode', () => {
    for (const mode of MODES) {
      const r = parseCommandLine(['--json', '-m', mode, '-d', '1', '--json']);
      expect(refusedWith(r)).toBeUndefined();
      expect((r as { json: boolean }).json).toBe(true);
    }
  });
});
