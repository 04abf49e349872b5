/**
 * The Command a valid command line produces: repeated options, -n/-v pairing, -r paths,
 * the branch (action) iscsiadm would take, and errors it reports only after a state check.
 */
import { describe, expect, it } from 'vitest';
import {
  isCliError, parseCommandLine, resolveSidPath, type Command, type CliError, type SidPathProbe,
} from '../../../src/cli/argv/index.js';

const parse = (...argv: string[]): Command | CliError => parseCommandLine(argv);

describe('repeated options', () => {
  it('-o is repeatable and OR-ed; an unknown word after a known one is ignored, as in iscsiadm', () => {
    expect(parse('-m', 'discovery', '-t', 'st', '-p', '10.0.0.1', '-o', 'new', '-o', 'delete', '--op=update', '-o', 'new'))
      .toMatchObject({ ops: ['new', 'delete', 'update'] });
    expect(parse('-m', 'node', '-o', 'new', '-o', 'bogus', '-T', 't', '-p', '10.0.0.1')).toMatchObject({ action: 'new', ops: ['new'] });
  });

  it('-n/-v pair in order, whatever sits between them; an unpaired name or value is dropped', () => {
    const r = parse('-m', 'node', '-o', 'update', '-n', 'a', '-T', 't', '-v', '1', '-v', '2', '-n', 'b', '-n', 'c', '-v', '3', '-n', 'dangling');
    expect(r).toMatchObject({ action: 'update', params: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }, { name: 'c', value: '3' }] });
  });

  it('node.transport_name is renamed iface.transport_name for updates', () => {
    expect(parse('-m', 'node', '-o', 'update', '-n', 'node.transport_name', '-v', 'iser'))
      .toMatchObject({ params: [{ name: 'iface.transport_name', value: 'iser' }] });
  });

  it('-I repeats; -P, -d and -T keep the last value; -L/-U share one word', () => {
    expect(parse('-m', 'node', '-I', 'a', '-I', 'b', '-T', 'x', '-T', 'y', '-P', '1', '-d', '3', '-d', '8'))
      .toMatchObject({ ifaces: ['a', 'b'], targetName: 'y', printLevel: 1, debugLevel: 8 });
    expect(parse('-m', 'node', '-U', 'all', '-L', 'manual', '-W')).toMatchObject({ action: 'loginall', startupFilter: 'manual', noWait: true });
    expect(parse('-m', 'node', '--logoutall=automatic')).toMatchObject({ action: 'logoutall', startupFilter: 'automatic' });
    expect(parse('-m', 'node', '-L', 'onboot')).toMatchObject({ action: 'loginall', startupFilter: 'onboot' });
  });

  it('the last valid -m decides the mode', () => {
    expect(parse('-m', 'session', '-m', 'node')).toMatchObject({ mode: 'node', action: 'list' });
  });
});

describe('-r session id or sysfs path', () => {
  it('a positive decimal (whole word, leading space or +) is a sid; int truncation as in C', () => {
    expect(parse('-m', 'session', '-r', '5', '-s')).toMatchObject({ sid: { kind: 'id', sid: 5 }, action: 'stats' });
    expect(parse('-m', 'session', '-r', ' +7')).toMatchObject({ sid: { kind: 'id', sid: 7 }, action: 'show' });
    expect(parse('-m', 'session', '--sid=4294967297', '-P', '1')).toMatchObject({ sid: { kind: 'id', sid: 1 }, action: 'info' });
  });

  it('anything else is a path, deferred when no resolver is given', () => {
    expect(parse('-m', 'session', '-r', '/sys/class/iscsi_session/session3', '-u'))
      .toMatchObject({ sid: { kind: 'path', path: '/sys/class/iscsi_session/session3' }, action: 'logout' });
  });

  it('a sysfs path resolves to the nearest sessionN component', () => {
    const probe: SidPathProbe = {
      kind: (p) => (p.startsWith('/sys/') ? 'link' : 'missing'),
      devicePath: (d) => (d === '/class/iscsi_session/session12' ? '/devices/platform/host4/session12/iscsi_session/session12' : null),
    };
    const deep: SidPathProbe = { kind: () => 'dir', devicePath: () => '/devices/platform/host4/session9/connection9:0/iscsi_connection/connection9:0' };
    expect(resolveSidPath('/sys/class/iscsi_session/session12', probe)).toBe(12);
    expect(resolveSidPath('/sys/devices/platform/host4/session9/connection9:0', deep)).toBe(9);
    const r = parseCommandLine(['-m', 'session', '-r', '/sys/class/iscsi_session/session12', '-R'], {
      resolveSidPath: (p) => resolveSidPath(p, probe),
    });
    expect(r).toMatchObject({ sid: { kind: 'id', sid: 12 }, action: 'rescan' });
  });

  it('path failures: missing (1), not a directory (1), not a device (7), no session in it (7)', () => {
    const missing: SidPathProbe = { kind: () => 'missing', devicePath: () => null };
    const file: SidPathProbe = { kind: () => 'other', devicePath: () => null };
    const noSession: SidPathProbe = { kind: () => 'dir', devicePath: () => '/devices/platform/host4' };
    expect(resolveSidPath('x', missing)).toMatchObject({ exitCode: 1, stderr: ['iscsiadm: x is an invalid session ID or path'] });
    expect(resolveSidPath('/etc/passwd', file)).toMatchObject({ exitCode: 1, stderr: ['iscsiadm: /etc/passwd is not a directory'] });
    expect(resolveSidPath('/sys/devices/platform/host4', noSession)).toMatchObject({
      exitCode: 7,
      stderr: ['iscsiadm: Unable to find sid in path /sys/devices/platform/host4', "iscsiadm: invalid sid '/sys/devices/platform/host4'"],
    });
  });
});

describe('-H host number or MAC', () => {
  it('numbers up to 2^32-1; a MAC is deferred, or matched by the resolver in order', () => {
    expect(parse('-m', 'host', '-H', '4294967295')).toMatchObject({ host: { kind: 'number', hostNo: 4294967295 } });
    expect(parse('-m', 'host', '-H', 'x')).toMatchObject({ host: { kind: 'number', hostNo: 0 } });
    expect(parse('-m', 'iface', '-H', '00:0e:1e:aa:bb:cc', '-o', 'applyall')).toMatchObject({
      action: 'applyall', host: { kind: 'mac', mac: '00:0e:1e:aa:bb:cc' },
    });
    const r = parseCommandLine(['-m', 'host', '-H', 'aa:bb', '-P', '9'], {
      resolveHostMac: () => ({ kind: 'cli-error', exitCode: 7, stderr: ['iscsiadm: Could not match MAC to host.'], stdout: [], json: false }),
    });
    expect(r).toMatchObject({ exitCode: 7, stderr: ['iscsiadm: Could not match MAC to host.'] });
  });
});

describe('actions per mode', () => {
  const cases: Array<[string[], Record<string, unknown>]> = [
    [['-m', 'discovery', '-t', 'st', '-p', '10.0.0.1', '-I', 'a', '-I', 'b', '-l'], { mode: 'discovery', action: 'sendtargets', type: 'sendtargets', ifaces: ['a', 'b'], login: true }],
    [['-m', 'discovery', '-t', 'isns', '-p', '10.0.0.2'], { action: 'isns' }],
    [['-m', 'discovery', '-t', 'fw'], { action: 'fw' }],
    [['-m', 'discovery', '-P', '1'], { action: 'list', printLevel: 1 }],
    [['-m', 'discovery', '-p', '10.0.0.1', '-D'], { action: 'record-discover' }],
    [['-m', 'discovery', '-p', '10.0.0.1', '-o', 'show'], { action: 'record-show' }],
    [['-m', 'discovery', '-p', '10.0.0.1', '-o', 'delete'], { action: 'record-delete' }],
    [['-m', 'discoverydb', '-t', 'st', '-p', '10.0.0.1', '-o', 'new', '-o', 'update'], { mode: 'discoverydb', action: 'new-record' }],
    [['-m', 'discoverydb', '-t', 'st', '-p', '10.0.0.1', '-D', '-o', 'nonpersistent', '-l'], { action: 'discover', ops: ['nonpersistent'] }],
    [['-m', 'discoverydb', '-t', 'st', '-p', '10.0.0.1', '-o', 'update', '-n', 'k', '-v', 'v'], { action: 'update' }],
    [['-m', 'discoverydb', '-t', 'st', '-p', '10.0.0.1', '-S'], { action: 'show', show: true }],
    [['-m', 'discoverydb', '-t', 'fw', '-D'], { action: 'fw' }],
    [['-m', 'node'], { mode: 'node', action: 'list', printLevel: -1 }],
    [['-m', 'node', '-P', '-1'], { action: 'list' }],
    [['-m', 'node', '-T', 'iqn.x:t', '-P', '7'], { action: 'show' }],
    [['-m', 'node', '-T', 'iqn.x:t', '-p', '10.0.0.1', '-l'], { action: 'login', portal: { address: '10.0.0.1', port: 3260 } }],
    [['-m', 'node', '-T', 'iqn.x:t', '-u'], { action: 'logout' }],
    [['-m', 'node', '-l', '-u', '-R'], { action: 'rescan' }],
    [['-m', 'node', '-s', '-l', '-u'], { action: 'stats' }],
    [['-m', 'node', '-o', 'new', '-l', '-u'], { action: 'new' }],
    [['-m', 'node', '-T', 'iqn.x:t', '-o', 'delete'], { action: 'delete' }],
    [['-m', 'node', '-l'], { action: 'login' }],
    [['-m', 'session'], { mode: 'session', action: 'list' }],
    [['-m', 'session', '-R'], { action: 'rescan' }],
    [['-m', 'session', '-u'], { action: 'logout' }],
    [['-m', 'session', '-r', '3', '-o', 'new'], { action: 'login-new' }],
    [['-m', 'session', '-r', '3', '-P', '0'], { action: 'show' }],
    [['-m', 'session', '-r', '3', '-o', 'update', '-n', 'node.startup', '-v', 'automatic'], { action: 'update' }],
    [['-m', 'session', '-r', '3', '-o', 'delete'], { action: 'delete' }],
    [['-m', 'iface'], { mode: 'iface', action: 'list' }],
    [['-m', 'iface', '-I', 'ib0'], { action: 'show' }],
    [['-m', 'iface', '-P', '1'], { action: 'tree' }],
    [['-m', 'iface', '-I', 'ib0', '-o', 'new'], { action: 'new' }],
    [['-m', 'iface', '-I', 'ib0', '-o', 'update', '-n', 'iface.net_ifacename', '-v', 'ib0'], { action: 'update' }],
    [['-m', 'iface', '-I', 'ib0', '-C', 'ping', '-a', '10.0.0.9', '-b', '64', '-c', '3', '-i', '1'], { action: 'ping', pingAddress: '10.0.0.9', packetSize: 64, count: 3, interval: 1 }],
    [['-m', 'host'], { mode: 'host', action: 'list' }],
    [['-m', 'host', '-H', '3', '-P', '4'], { action: 'list', host: { kind: 'number', hostNo: 3 } }],
    [['-m', 'host', '-H', '3', '-C', 'stats'], { action: 'stats', submode: 'stats' }],
    [['-m', 'host', '-H', '3', '-C', 'chap', '-o', 'show'], { action: 'chap-show' }],
    [['-m', 'host', '-H', '3', '-C', 'chap', '-o', 'new', '-x', '5', '-n', 'host.auth.username', '-v', 'u'], { action: 'chap-set', index: 5n }],
    [['-m', 'host', '-H', '3', '-C', 'chap', '-o', 'delete', '-x', '65536'], { action: 'chap-delete', index: 65536n }],
    [['-m', 'host', '-H', '3', '-C', 'flashnode', '-A', 'ipv6', '-o', 'new'], { action: 'flashnode', portalType: 'ipv6' }],
    [['-m', 'host', '-H', '3', '-C', 'flashnode', '-x', '4294967295', '-o', 'logout'], { action: 'flashnode', ops: ['logout'] }],
    [['-m', 'fw'], { mode: 'fw', action: 'show' }],
    [['-m', 'fw', '-l', '-W'], { action: 'login', noWait: true }],
  ];
  for (const [argv, expected] of cases) {
    it(`${argv.join(' ')} → ${String(expected['action'])}`, () => {
      expect(parseCommandLine(argv)).toMatchObject(expected);
    });
  }
});

describe('errors iscsiadm reports only after a state check', () => {
  const later = (argv: string[], after: string, line: string) => {
    const r = parseCommandLine(argv);
    expect(r).toMatchObject({ action: 'error', deferredError: { after, error: { exitCode: 7, stderr: [line] } } });
  };
  it('node with -I: the iface record is read first', () => {
    later(['-m', 'node', '-I', 'ib0', '-l', '-u'], 'iface-record-readable', 'iscsiadm: Invalid parameters. Both login and logout passed in');
    expect(parse('-m', 'node', '-I', 'a', '-I', 'b', '-P', '1')).toMatchObject({
      action: 'show', notices: ['iscsiadm: NODE mode only accepts one interface. Using the first one driver  hwaddress  ipaddress .'],
    });
  });
  it('session with -r: the session is looked up first', () => {
    later(['-m', 'session', '-r', '2', '-P', '4'], 'session-found', 'iscsiadm: Invalid info level 4. Try 0 - 3.');
    later(['-m', 'session', '-r', '2', '-o', 'new', '-u'], 'session-found', 'iscsiadm: Invalid parameters. Both login and logout passed in');
    later(['-m', 'session', '-r', '2', '-o', 'nonpersistent'], 'session-found', 'iscsiadm: operation is not supported.');
  });
  it('session listing: "No active sessions." comes before the -P check', () => {
    later(['-m', 'session', '-P', '5'], 'sessions-found', 'iscsiadm: Invalid info level 5. Try 0 - 3.');
    later(['-m', 'session', '-P', '-2'], 'sessions-found', 'iscsiadm: Invalid info level -2. Try 0 - 3.');
  });
  it('discovery records are read first', () => {
    later(['-m', 'discovery', '-p', '10.0.0.1', '-o', 'new'], 'discovery-record-found',
      'iscsiadm: Operations new and update for discovery mode is not supported. Use discoverydb mode.');
    later(['-m', 'discovery', '-p', '10.0.0.1', '-o', 'new', '-o', 'show'], 'discovery-record-found', 'iscsiadm: Invalid operation.');
    later(['-m', 'discoverydb', '-t', 'st', '-p', '10.0.0.1', '-o', 'update'], 'discovery-record-found', 'iscsiadm: Update requires name and value.');
    later(['-m', 'discoverydb', '-t', 'isns', '-p', '10.0.0.1', '-o', 'apply'], 'discovery-record-found', 'iscsiadm: Operation is not supported.');
  });
});

describe('whole-program commands', () => {
  it('-V and -h act at once before any -m, after printing earlier getopt complaints', () => {
    expect(parse('-Z', '-V', '-m', 'node')).toEqual({ mode: 'version', json: false, notices: ["iscsiadm: invalid option -- 'Z'"] });
    expect(parse('-k', '0', '-V')).toMatchObject({ mode: 'version' });
    expect(parse('-h', '-m', 'node')).toEqual({ mode: 'help', json: false, topic: 'global', notices: [] });
    expect(parse('--he')).toMatchObject({ mode: 'help', topic: 'global' });
    expect(parse('-m', 'session', '--help')).toMatchObject({ mode: 'help', topic: 'session' });
  });

  it('-k 0 asks the daemon to stop; other priorities are refused with exit 0', () => {
    expect(parse('-k', '0')).toEqual({ mode: 'killiscsid', json: false, priority: 0, notices: [] });
    expect(parse('--foo', '-k', '0')).toMatchObject({ mode: 'killiscsid', notices: ["iscsiadm: unrecognized option '--foo'"] });
    expect(parse('-k', 'x')).toMatchObject({ mode: 'killiscsid' });
    expect(parse('-k', '1')).toMatchObject({ kind: 'cli-error', exitCode: 0 });
  });

  it('our opt-in extensions parse to their own commands', () => {
    expect(parse('--install-iscsiadm-alias')).toEqual({ mode: 'install-iscsiadm-alias', json: false, notices: [] });
    expect(parse('--uninstall-iscsiadm-alias=/usr/local/sbin/iscsiadm', '--json')).toEqual({
      mode: 'uninstall-iscsiadm-alias', json: true, value: '/usr/local/sbin/iscsiadm', notices: [],
    });
    expect(parse('--import-open-iscsi=/mnt/old/etc/iscsi')).toMatchObject({ mode: 'import-open-iscsi', value: '/mnt/old/etc/iscsi' });
    expect(parse('--json=1')).toMatchObject({ exitCode: 7, stderr: ["iscsiadm: option '--json' doesn't allow an argument", 'Try `iscsiadm --help\' for more information.'] });
  });

  it('a CliError says whether --json was given anywhere', () => {
    const r = parse('-m', 'node', '-P', '9', '--json');
    expect(isCliError(r) && r.json).toBe(true);
    const plain = parse('-m', 'node', '-P', '9');
    expect(isCliError(plain) && plain.json).toBe(false);
  });

  it('the program name of messages is configurable', () => {
    expect(parseCommandLine(['-m', 'node', '-P', '2'], { programName: 'tsiscsiadm' })).toMatchObject({
      stderr: ['tsiscsiadm: Invalid info level 2. Try 0 or 1.'],
    });
    expect(parseCommandLine([], { programName: 'tsiscsiadm' })).toMatchObject({
      stderr: ["Try `tsiscsiadm --help' for more information."],
    });
  });
});
