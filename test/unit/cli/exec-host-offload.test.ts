/**
 * `tsiscsiadm -m host -H N -C chap|flashnode|stats` end to end without sockets: the
 * real argv layer and executor, an API that runs the real daemon handlers (params and
 * results checked by their zod schemas, errors passed through the JSON-RPC error
 * mapping) and the fake kernel. Expected text is written by hand from iscsiadm 2.1.8's
 * formats (reference §6.7 and the format strings of the 2.1.8 binary).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../../src/cli/exec/api.js';
import { execHost } from '../../../src/cli/exec/host.js';
import { checkResult, parseParams, type AnyMethod, type CallContext } from '../../../src/control/method.js';
import { fromRpcError, toRpcError } from '../../../src/control/protocol.js';
import type { HandlerContext } from '../../../src/daemon/handlers/context.js';
import { hostOffloadMethods } from '../../../src/daemon/handlers/host-offload.js';
import type { Logger } from '../../../src/shared/logger.js';
import { FakeKernel } from '../../support/fake-kernel/index.js';
import { struct, u32, u64 } from '../../support/fake-kernel/dsl.js';
import { T } from '../../support/fake-kernel/types.js';
import { command, context } from './exec-helpers.js';

const logged: string[] = [];
function recordingLogger(bindings: Record<string, unknown> = {}): Logger {
  const rec = (level: string) => (obj: object, msg?: string): void => void logged.push(JSON.stringify({ level, ...bindings, ...obj, msg }));
  return { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error'), child: (b) => recordingLogger({ ...bindings, ...b }) };
}

let root: string;
let k: FakeKernel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tsi-host-offload-'));
  k = new FakeKernel({ hosts: [{ hostNo: 6, transport: 'qla4xxx' }, { hostNo: 7, transport: 'bnx2i' }] });
  const files: Record<string, string> = {
    'class/iscsi_host/host6/initiatorname': 'iqn.2026-11.test:hba', 'class/scsi_host/host6/proc_name': 'qla4xxx',
    'class/iscsi_host/host7/initiatorname': '', 'class/scsi_host/host7/proc_name': 'bnx2i',
    'class/scsi_host/host8/proc_name': 'ahci',
    'class/iscsi_transport/qla4xxx/handle': String(k.transport('qla4xxx').handle), 'class/iscsi_transport/qla4xxx/caps': '0x48b8',
    'class/iscsi_transport/bnx2i/handle': String(k.transport('bnx2i').handle), 'class/iscsi_transport/bnx2i/caps': '0x8b9',
    'bus/iscsi_flashnode/devices/flashnode_sess-6:0/targetname': 'iqn.2026-11.test:boot',
    'bus/iscsi_flashnode/devices/flashnode_sess-6:0/portal_type': 'ipv4',
    'bus/iscsi_flashnode/devices/flashnode_sess-6:0/tpgt': '1',
    'bus/iscsi_flashnode/devices/flashnode_conn-6:0:0/ipaddress': '10.0.0.5',
    'bus/iscsi_flashnode/devices/flashnode_conn-6:0:0/port': '3260',
    'bus/iscsi_flashnode/devices/flashnode_sess-6:1/targetname': 'iqn.2026-11.test:v6',
    'bus/iscsi_flashnode/devices/flashnode_sess-6:1/portal_type': 'ipv6',
    'bus/iscsi_flashnode/devices/flashnode_sess-6:1/tpgt': '2',
    'bus/iscsi_flashnode/devices/flashnode_conn-6:1:0/ipaddress': 'fd00::5',
    'bus/iscsi_flashnode/devices/flashnode_conn-6:1:0/port': '3260',
  };
  for (const [rel, value] of Object.entries(files)) {
    const p = join(root, 'sys', rel);
    await mkdir(join(p, '..'), { recursive: true });
    await writeFile(p, `${value}\n`);
  }
});
afterAll(async () => rm(root, { recursive: true, force: true }));

/** An Api running the daemon's host.* handlers like the control server would. */
function wiredApi(opts: { noNetlink?: boolean } = {}): Api {
  const ctx = { log: recordingLogger() } as unknown as HandlerContext;
  const openChannel = () => {
    if (opts.noNetlink === true) throw new Error('NETLINK_ADDON_MISSING: addon not built');
    const ch = k.open({ pid: 5150 });
    return { channel: ch, pid: ch.pid };
  };
  const methods = new Map<string, AnyMethod>(hostOffloadMethods(ctx, { sysfsRoot: root, openChannel }).map((m) => [m.name, m]));
  const call = async (name: string, raw: object): Promise<unknown> => {
    const m = methods.get(name);
    if (m === undefined) throw new Error(`unexpected call ${name}`);
    const callCtx: CallContext = { connectionId: 1, signal: new AbortController().signal, peer: undefined };
    try {
      const result: unknown = await m.handler(parseParams(m, raw) as never, callCtx);
      checkResult(m, result);
      return result;
    } catch (err) {
      throw fromRpcError(toRpcError(err));
    }
  };
  return {
    call: (method, params) => call(method, params) as never,
    callAny: (method, params) => call(method, params),
    methods: async () => [...methods.keys()],
    subscribe: async () => async () => undefined,
    close: () => {},
  };
}

async function run(argv: string[], json = false, noNetlink = false) {
  const { ctx, io } = context(wiredApi({ noNetlink }), { sysfs: join(root, 'sys'), json });
  const code = await execHost(command('host', argv), ctx);
  return { code, out: io.stdout, err: io.stderr };
}

describe('-C chap', () => {
  it('-o new writes SET_CHAP silently; -o show prints every entry as a record with the password in clear', async () => {
    expect(await run(['-m', 'host', '-H', '6', '-C', 'chap', '-x', '0', '-o', 'new', '-n', 'host.auth.username', '-v', 'user0', '-n', 'host.auth.password', '-v', 'secret-out-0'])).toEqual({ code: 0, out: '', err: '' });
    expect((await run(['-m', 'host', '-H', '6', '-C', 'chap', '-x', '1', '-o', 'update', '-n', 'host.auth.username_in', '-v', 'tgt', '-n', 'host.auth.password_in', '-v', 'secret-in-1'])).code).toBe(0);
    const r = await run(['-m', 'host', '-H', '6', '-C', 'chap', '-o', 'show']);
    expect(r).toEqual({
      code: 0, err: '',
      out: '# BEGIN RECORD 2.1.8\nhost.auth.tbl_idx = 0\nhost.auth.username = user0\nhost.auth.password = secret-out-0\n# END RECORD\n'
        + '# BEGIN RECORD 2.1.8\nhost.auth.tbl_idx = 1\nhost.auth.username_in = tgt\nhost.auth.password_in = secret-in-1\n# END RECORD\n',
    });
    const j = JSON.parse((await run(['-m', 'host', '-H', '6', '-C', 'chap', '-o', 'show'], true)).out) as { kind: string; records: { kind: string; values: Record<string, string> }[] };
    expect(j.kind).toBe('records');
    expect(j.records[1]).toMatchObject({ kind: 'chap', values: { 'host.auth.tbl_idx': '1', 'host.auth.username_in': 'tgt' } });
  });

  it('CHAP secrets never reach the daemon log', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toMatch(/secret-(out|in)/);
  });

  it('a mixed pair is refused with iscsiadm\'s message, exit 7', async () => {
    expect(await run(['-m', 'host', '-H', '6', '-C', 'chap', '-x', '2', '-o', 'new', '-n', 'host.auth.username', '-v', 'a', '-n', 'host.auth.password_in', '-v', 'b'])).toEqual({
      code: 7, out: '', err: 'iscsiadm: Invalid username/password pair passed. Unable to determine the type of chap entry\n',
    });
  });

  it('-o delete prints "Deleting CHAP index"; -EBUSY adds "is in use" and exits 28', async () => {
    expect(await run(['-m', 'host', '-H', '6', '-C', 'chap', '-x', '1', '-o', 'delete'])).toEqual({ code: 0, out: 'Deleting CHAP index: 1\n', err: '' });
    k.failNext(T.DELETE_CHAP, 16);
    expect(await run(['-m', 'host', '-H', '6', '-C', 'chap', '-x', '0', '-o', 'delete'])).toEqual({
      code: 28, out: 'Deleting CHAP index: 0\n',
      err: 'iscsiadm: Received iferror -16: Device or resource busy.\niscsiadm: CHAP Delete failed.\niscsiadm: CHAP index 0 is in use.\n',
    });
  });

  it('a host whose transport has no CHAP table: the kernel\'s -EINVAL, then get_chap_info failed (exit 1)', async () => {
    expect(await run(['-m', 'host', '-H', '7', '-C', 'chap', '-o', 'show'])).toEqual({
      code: 1, out: '', err: 'iscsiadm: Received iferror -22: Invalid argument.\niscsiadm: get_chap_info failed. errno=22\n',
    });
    // SET_CHAP without the driver op is -ENOSYS: netlink.c logs that at debug level only.
    expect(await run(['-m', 'host', '-H', '7', '-C', 'chap', '-x', '0', '-o', 'new', '-n', 'host.auth.username', '-v', 'a', '-n', 'host.auth.password', '-v', 'b'])).toEqual({
      code: 1, out: '', err: 'iscsiadm: CHAP setting failed\n',
    });
  });

  it('no NETLINK_ISCSI (addon missing, no kernel iSCSI): "Netlink open failed." exit 9', async () => {
    expect(await run(['-m', 'host', '-H', '6', '-C', 'chap', '-o', 'show'], false, true)).toEqual({ code: 9, out: '', err: 'iscsiadm: Netlink open failed.\n' });
    const j = await run(['-m', 'host', '-H', '6', '-C', 'stats'], true, true);
    expect(j.code).toBe(9);
    expect(JSON.parse(j.out)).toMatchObject({ kind: 'error', errno: 9 });
  });

  it('an unknown host: no proc_name, no transport (exit 12, as iscsiadm 2.1.8 prints it here)', async () => {
    expect(await run(['-m', 'host', '-H', '9', '-C', 'chap', '-o', 'show'])).toEqual({
      code: 12, out: '', err: 'iscsiadm: Could not read proc_name for host9 rc 5.\niscsiadm: Could not match hostno 9 to transport.\n',
    });
  });

  it('a SCSI host that is not an iSCSI host: only "Could not match hostno" (exit 12)', async () => {
    expect(await run(['-m', 'host', '-H', '8', '-C', 'stats'])).toEqual({ code: 12, out: '', err: 'iscsiadm: Could not match hostno 8 to transport.\n' });
  });
});

describe('-C stats', () => {
  it('prints Host Statistics: and the 82 counters with %lld', async () => {
    k.hosts.get(6)!.stats = struct(664, u64(0, 11), u64(8, 4096), u64(81 * 8, 2n ** 64n - 2n), u32(656, 0));
    const r = await run(['-m', 'host', '-H', '6', '-C', 'stats']);
    const lines = r.out.split('\n');
    expect(r.code).toBe(0);
    expect(lines.slice(0, 4)).toEqual(['Host Statistics:', '\tmactx_frames: 11', '\tmactx_bytes: 4096', '\tmactx_multicast_frames: 0']);
    expect(lines).toHaveLength(84);
    expect(lines[82]).toBe('\tiscsi_sequence_error: -2');
    expect(lines[33]).toBe('\tiptx_packets: 0');
  });

  it('a transport without host stats (-ENOSYS): get_host_stats failed, exit 1', async () => {
    expect(await run(['-m', 'host', '-H', '7', '-C', 'stats'])).toEqual({ code: 1, out: '', err: 'iscsiadm: get_host_stats failed. errno=38\n' });
  });
});

describe('-C flashnode', () => {
  it('lists the flashnodes of the host from sysfs', async () => {
    expect(await run(['-m', 'host', '-H', '6', '-C', 'flashnode'])).toEqual({
      code: 0, err: '', out: 'qla4xxx: [0] 10.0.0.5:3260,1 iqn.2026-11.test:boot\nqla4xxx: [1] [fd00::5]:3260,2 iqn.2026-11.test:v6\n',
    });
  });

  it('-x shows one record with flashnode.session.* and flashnode.conn[0].* keys', async () => {
    const r = await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-x', '0']);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('# BEGIN RECORD 2.1.8');
    expect(lines).toContain('flashnode.session.targetname = iqn.2026-11.test:boot');
    expect(lines).toContain('flashnode.session.targetalias = <empty>');
    expect(lines).toContain('flashnode.conn[0].port = 3260');
    expect(lines).toContain('flashnode.session.erl = 0');
    expect(lines.at(-2)).toBe('# END RECORD');
  });

  it('new / update / login / logout / delete through the kernel', async () => {
    expect(await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'new', '-A', 'ipv4'])).toEqual({ code: 0, err: '', out: 'New flashnode for host 6 added at index 0.\n' });
    expect(await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'update', '-x', '0', '-n', 'flashnode.session.targetname', '-v', 'iqn.x:y'])).toEqual({ code: 0, err: '', out: 'Update for flashnode 0 of host 6 successful.\n' });
    expect(k.hosts.get(6)!.flashnodes.get(0)!.params.get(43)).toEqual(Buffer.from('iqn.x:y\0'));
    expect((await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'login', '-x', '0'])).out).toBe('Login to flashnode 0 of host 6 successful.\n');
    expect((await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'logout', '-x', '0'])).out).toBe('Logout of flashnode 0 of host 6 successful.\n');
    expect((await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'delete', '-x', '0'])).out).toBe('Flashnode 0 of host 6 deleted.\n');
    expect(await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'delete', '-x', '0'])).toEqual({
      code: 1, out: '', err: 'iscsiadm: Received iferror -19: No such device.\niscsiadm: Deletion of flashnode 0 of host 6 failed.\n',
    });
    expect(await run(['-m', 'host', '-H', '6', '-C', 'flashnode', '-o', 'new'])).toEqual({ code: 7, out: '', err: 'iscsiadm: Invalid type mentioned for flashnode\n' });
  });

  it('a host without flashnodes', async () => {
    expect(await run(['-m', 'host', '-H', '7', '-C', 'flashnode'])).toEqual({ code: 21, out: '', err: 'iscsiadm: No flashnodes attached to host 7.\n' });
  });
});
