/**
 * The getopt_long re-statement: abbreviations, clusters, permutation, argument attachment
 * and glibc's exact messages (argv[0] is what the caller passes, like glibc).
 */
import { describe, expect, it } from 'vitest';
import { scanOptions } from '../../../src/cli/argv/getopt.js';
import { parseCommandLine } from '../../../src/cli/argv/index.js';

describe('getopt_long abbreviations', () => {
  const unique: Array<[string, string]> = [
    ['--target', 'T'], ['--targetn', 'T'], ['--targetname', 'T'], ['--ty', 't'], ['--por', '?'],
    ['--portal', 'p'], ['--portal_', 'A'], ['--mo', 'm'], ['--m', 'm'], ['--o', 'o'], ['--na', 'n'], ['--va', 'v'],
    ['--ho', 'H'], ['--si', 'r'], ['--resc', 'R'], ['--pr', 'P'], ['--disc', 'D'], ['--login', 'l'], ['--logina', 'L'],
    ['--logout', 'u'], ['--logouta', 'U'], ['--st', 's'], ['--k', 'k'], ['--de', 'd'], ['--sh', 'S'], ['--ve', 'V'],
    ['--he', 'h'], ['--su', 'C'], ['--ip', 'a'], ['--pa', 'b'], ['--co', 'c'], ['--interv', 'i'], ['--inte', '?'],
    ['--ind', 'x'], ['--no', 'W'],
  ];
  for (const [word, letter] of unique) {
    it(`${word} → ${letter === '?' ? 'ambiguous' : `-${letter}`}`, () => {
      const [ev] = scanOptions([word, 'x'], 'iscsiadm');
      if (letter === '?') expect(ev).toMatchObject({ kind: 'err', optopt: '' });
      else expect(ev).toMatchObject({ kind: 'opt', letter });
    });
  }

  it('lists ambiguous candidates in table order, with the text as typed', () => {
    expect(scanOptions(['--in=3'], 'iscsiadm')).toEqual([{
      kind: 'err', optopt: '',
      message: "iscsiadm: option '--in=3' is ambiguous; possibilities: '--interface' '--interval' '--index'",
    }]);
  });

  it('an exact name beats longer names with the same prefix (--login vs --loginall, --portal vs --portal_type)', () => {
    expect(scanOptions(['--login', '--portal', '1.2.3.4'], 'x')).toEqual([
      { kind: 'opt', letter: 'l' }, { kind: 'opt', letter: 'p', arg: '1.2.3.4' },
    ]);
  });

  it('our extensions match only by their exact name and never join ambiguity lists', () => {
    expect(scanOptions(['--json'], 'x')).toEqual([{ kind: 'ext', name: 'json' }]);
    expect(scanOptions(['--js'], 'x')).toEqual([{ kind: 'err', optopt: '', message: "x: unrecognized option '--js'" }]);
    expect(scanOptions(['--i'], 'x')[0]).toMatchObject({ message: "x: option '--i' is ambiguous; possibilities: '--interface' '--ip' '--interval' '--index'" });
    expect(scanOptions(['--install-iscsiadm-alias=/usr/bin/iscsiadm'], 'x')).toEqual([
      { kind: 'ext', name: 'install-iscsiadm-alias', arg: '/usr/bin/iscsiadm' },
    ]);
  });
});

describe('getopt_long arguments and clusters', () => {
  it('clusters: flags then a letter taking the rest of the word', () => {
    expect(scanOptions(['-lsP1'], 'x')).toEqual([
      { kind: 'opt', letter: 'l' }, { kind: 'opt', letter: 's' }, { kind: 'opt', letter: 'P', arg: '1' },
    ]);
  });

  it('a required argument is the next word whatever it looks like', () => {
    expect(scanOptions(['-P', '-Z', '--targetname', '--x'], 'x')).toEqual([
      { kind: 'opt', letter: 'P', arg: '-Z' }, { kind: 'opt', letter: 'T', arg: '--x' },
    ]);
  });

  it('--name=value attaches; --portal_type takes a value only with =', () => {
    expect(scanOptions(['--targetname=iqn.x:y', '--portal_type', 'ipv4', '--portal_type=ipv6'], 'x')).toEqual([
      { kind: 'opt', letter: 'T', arg: 'iqn.x:y' }, { kind: 'opt', letter: 'A' }, { kind: 'opt', letter: 'A', arg: 'ipv6' },
    ]);
  });

  it('non-options are skipped, -- ends the options, a lone - is a non-option', () => {
    expect(scanOptions(['extra', '-', '-l', '--', '-u'], 'x')).toEqual([{ kind: 'opt', letter: 'l' }]);
  });

  it("glibc's messages and optopt", () => {
    expect(scanOptions(['-Z', '-P'], 'iscsiadm')).toEqual([
      { kind: 'err', optopt: 'Z', message: "iscsiadm: invalid option -- 'Z'" },
      { kind: 'err', optopt: 'P', message: "iscsiadm: option requires an argument -- 'P'" },
    ]);
    expect(scanOptions(['--resc=1', '--foo=1', '--targ'], 'iscsiadm')).toEqual([
      { kind: 'err', optopt: 'R', message: "iscsiadm: option '--rescan' doesn't allow an argument" },
      { kind: 'err', optopt: '', message: "iscsiadm: unrecognized option '--foo=1'" },
      { kind: 'err', optopt: 'T', message: "iscsiadm: option '--targetname' requires an argument" },
    ]);
  });

  it("getopt's own messages carry argv0, iscsiadm's carry the program name", () => {
    const r = parseCommandLine(['-m', 'node', '-Z'], { argv0: '/usr/sbin/iscsiadm', programName: 'tsiscsiadm' });
    expect(r).toMatchObject({
      exitCode: 7,
      stderr: ["/usr/sbin/iscsiadm: invalid option -- 'Z'", "tsiscsiadm: node mode: option '-?' is not allowed/supported"],
    });
  });
});
