/**
 * tsiscsid's command line (reference §1.2): iscsid's options, --root/TSISCSI_ROOT and
 * the invalid combinations, as a table. Errors must be ConfigError errno 7 with a code.
 */
import { describe, expect, it } from 'vitest';
import { parseDaemonArgs, MAX_DEBUG, type DaemonCommand } from '../../../src/daemon/options.js';
import { IscsiError } from '../../../src/shared/errors.js';

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Extract<DaemonCommand, { kind: 'run' }>['options'] {
  const cmd = parseDaemonArgs(argv, env);
  if (cmd.kind !== 'run') throw new Error(`expected run, got ${cmd.kind}`);
  return cmd.options;
}

function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): IscsiError {
  try {
    parseDaemonArgs(argv, env);
  } catch (err) {
    if (err instanceof IscsiError) return err;
    throw err;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseDaemonArgs', () => {
  it('defaults: background logging, pid file on, debug 0, no paths', () => {
    expect(run([])).toEqual({ foreground: false, debug: 0, noPidFile: false });
  });

  it.each([
    [['-c', '/x/iscsid.conf'], { config: '/x/iscsid.conf' }],
    [['--config=/x/iscsid.conf'], { config: '/x/iscsid.conf' }],
    [['-i', '/x/name'], { initiatorName: '/x/name' }],
    [['--initiatorname', '/x/name'], { initiatorName: '/x/name' }],
    [['-f'], { foreground: true, noPidFile: true }],
    [['--foreground'], { foreground: true, noPidFile: true }],
    [['-d', '3'], { debug: 3 }],
    [['-d8'], { debug: 8 }],
    [['--debug=1'], { debug: 1 }],
    [['-u', '65534', '-g', '65534'], { uid: 65534, gid: 65534 }],
    [['--uid=0', '--gid=0'], { uid: 0, gid: 0 }],
    [['-p', '/x/pid'], { pidFile: '/x/pid' }],
    [['--pid', '/x/pid'], { pidFile: '/x/pid' }],
    [['-n'], { noPidFile: true }],
    [['--no-pid-file'], { noPidFile: true }],
    [['-fn'], { foreground: true, noPidFile: true }],
    [['--root', '/r'], { root: '/r' }],
  ] as [string[], Record<string, unknown>][])('%j', (argv, want) => {
    expect(run(argv)).toMatchObject(want);
  });

  it('TSISCSI_ROOT gives the root; --root wins over it', () => {
    expect(run([], { TSISCSI_ROOT: '/env' }).root).toBe('/env');
    expect(run(['--root', '/opt'], { TSISCSI_ROOT: '/env' }).root).toBe('/opt');
  });

  it('-h and -v are commands, -h first', () => {
    expect(parseDaemonArgs(['-v'], {}).kind).toBe('version');
    expect(parseDaemonArgs(['--version'], {}).kind).toBe('version');
    expect(parseDaemonArgs(['-h'], {}).kind).toBe('help');
    expect(parseDaemonArgs(['-v', '--help'], {}).kind).toBe('help');
  });

  it('--generate-initiatorname carries the path options', () => {
    const cmd = parseDaemonArgs(['--generate-initiatorname', '--root', '/r', '-i', '/r/n'], {});
    expect(cmd).toEqual({ kind: 'generate-initiatorname', options: expect.objectContaining({ root: '/r', initiatorName: '/r/n' }) });
  });

  it.each([
    [['-x'], 'BAD_OPTION'],
    [['--nope'], 'BAD_OPTION'],
    [['-d'], 'BAD_OPTION'],
    [['-f=1'], 'BAD_OPTION'],
    [['extra'], 'UNEXPECTED_ARGUMENT'],
    [['-d', 'x'], 'BAD_OPTION_VALUE'],
    [['-d', '-1'], 'BAD_OPTION'],
    [['-d', String(MAX_DEBUG + 1)], 'BAD_OPTION_VALUE'],
    [['-d', '1.5'], 'BAD_OPTION_VALUE'],
    [['-u', 'root'], 'BAD_OPTION_VALUE'],
    [['-g', '4294967296'], 'BAD_OPTION_VALUE'],
    [['-c', ''], 'BAD_OPTION_VALUE'],
    [['--root='], 'BAD_OPTION_VALUE'],
    [['-p', '/x', '-n'], 'OPTION_CONFLICT'],
    [['-n', '--pid=/x'], 'OPTION_CONFLICT'],
    [['-p', '/x', '-f'], 'OPTION_CONFLICT'],
  ] as [string[], string][])('%j is refused with %s, errno 7', (argv, code) => {
    const err = errorOf(argv);
    expect(err.code).toBe(code);
    expect(err.errno).toBe(7);
  });

  it('an empty TSISCSI_ROOT counts as unset', () => {
    expect(run([], { TSISCSI_ROOT: '' }).root).toBeUndefined();
  });
});
