/**
 * The native netlink channel on THIS host (src/transport/kernel/netlink-native.ts +
 * native/netlink.c). The build machines have no iSCSI in the kernel, so the socket
 * mechanics (bind, send, poll, recv, close, handle lifetime) are exercised with
 * NETLINK_ROUTE (protocol 0), whose replies are known; the NETLINK_ISCSI round trip with
 * a real kernel is test/e2e/kernel-netlink.e2e.ts. Request bytes are built here by hand
 * from rtnetlink(7) / netlink(7), not with our codec.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { distPath } from '../../../support/dist.js';
import {
  addonPath, kernelAvailability, netlinkError, openNetlinkChannel, type NativeNetlinkChannel,
} from '../../../../src/transport/kernel/netlink-native.js';

const NETLINK_ROUTE = 0;
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
const built = existsSync(addonPath());

/** RTM_GETLINK dump request: nlmsghdr (16) + struct ifinfomsg (16, all zero = every link). */
function getLinkDump(seq: number, pid: number): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt32LE(32, 0);
  b.writeUInt16LE(RTM_GETLINK, 4);
  b.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  b.writeUInt32LE(seq, 8);
  b.writeUInt32LE(pid, 12);
  return b;
}

interface Msg { type: number; seq: number; pid: number; ifindex?: number }

/** Split a datagram into messages (4-byte aligned), reading ifinfomsg.ifi_index @20 of RTM_NEWLINK. */
function split(d: Buffer): Msg[] {
  const out: Msg[] = [];
  for (let at = 0; at + 16 <= d.length;) {
    const len = d.readUInt32LE(at);
    const type = d.readUInt16LE(at + 4);
    out.push({ type, seq: d.readUInt32LE(at + 8), pid: d.readUInt32LE(at + 12), ...(type === RTM_NEWLINK ? { ifindex: d.readInt32LE(at + 20) } : {}) });
    at += (len + 3) & ~3;
  }
  return out;
}

/** Messages received until NLMSG_DONE (or a 5 s timeout). */
function collectDump(ch: NativeNetlinkChannel): Promise<Msg[]> {
  return new Promise((resolve, reject) => {
    const msgs: Msg[] = [];
    const timer = setTimeout(() => reject(new Error(`no NLMSG_DONE; got ${JSON.stringify(msgs)}`)), 5000);
    ch.onMessage((d) => {
      msgs.push(...split(d));
      if (msgs.some((m) => m.type === NLMSG_DONE)) {
        clearTimeout(timer);
        resolve(msgs);
      }
    });
  });
}

describe('addon loading', () => {
  it('without the addon: kernelAvailability says NETLINK_ADDON_MISSING and open throws it (usertcp unaffected)', async () => {
    vi.stubEnv('TSISCSI_NETLINK_ADDON', '/nonexistent/netlink.node');
    vi.resetModules();
    try {
      const fresh = await import('../../../../src/transport/kernel/netlink-native.js');
      const a = fresh.kernelAvailability();
      expect(a).toMatchObject({ available: false, code: 'NETLINK_ADDON_MISSING' });
      expect(a.available ? '' : a.reason).toContain('/nonexistent/netlink.node');
      expect(() => fresh.openNetlinkChannel()).toThrow(expect.objectContaining({ code: 'NETLINK_ADDON_MISSING' }));
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it.runIf(process.env.CI)('CI builds the addon at npm ci (build/Release/netlink.node exists)', () => {
    expect(existsSync(addonPath())).toBe(true);
  });
});

describe.skipIf(!built)('native netlink socket (NETLINK_ROUTE on this host)', () => {
  it('binds with a kernel-assigned port id; the kernel answers a dump addressed to that port', async () => {
    const ch = openNetlinkChannel({ protocol: NETLINK_ROUTE, groups: 0 });
    try {
      expect(ch.portId).toBeGreaterThan(0);
      const done = collectDump(ch);
      ch.send(getLinkDump(4242, ch.portId));
      const msgs = await done;
      expect(msgs.find((m) => m.type === RTM_NEWLINK && m.ifindex === 1), 'loopback link listed').toBeDefined();
      expect(msgs.every((m) => m.pid === ch.portId && m.seq === 4242)).toBe(true);
    } finally {
      ch.close();
    }
  });

  it('close() is idempotent and no callback runs after it', async () => {
    const ch = openNetlinkChannel({ protocol: NETLINK_ROUTE, groups: 0 });
    const got: Buffer[] = [];
    ch.onMessage((d) => got.push(d));
    ch.send(getLinkDump(1, ch.portId));
    ch.close();
    ch.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    expect(() => ch.send(getLinkDump(2, 0))).toThrow(expect.objectContaining({ code: 'NETLINK_CLOSED' }));
  });

  it('a send the kernel refuses is a TransportError carrying errno and syscall (EMSGSIZE above the send buffer)', () => {
    const ch = openNetlinkChannel({ protocol: NETLINK_ROUTE, groups: 0 });
    try {
      ch.send(Buffer.alloc(1 << 20));
      expect.unreachable('a 1 MiB datagram must not fit the socket send buffer');
    } catch (err) {
      expect(err).toMatchObject({ code: 'NETLINK_IO', details: { errno: 90, errnoCode: 'EMSGSIZE', syscall: 'sendto' } });
    } finally {
      ch.close();
    }
  });

  it('socket() refusing the protocol maps to NO_KERNEL_ISCSI with errno details', () => {
    // netlink protocols are < 32 (MAX_LINKS); 31 is unassigned
    expect(() => openNetlinkChannel({ protocol: 31 })).toThrow(expect.objectContaining({
      code: 'NO_KERNEL_ISCSI', details: expect.objectContaining({ errnoCode: 'EPROTONOSUPPORT', syscall: 'socket' }),
    }));
  });

  // With no scsi_transport_iscsi and no modules to autoload it, NETLINK_ISCSI does not exist.
  const noIscsi = !existsSync('/sys/module/scsi_transport_iscsi') && !existsSync(`/lib/modules/${release()}`);
  it.runIf(noIscsi)('kernel without iSCSI: kernelAvailability says NO_KERNEL_ISCSI and names modprobe iscsi_tcp', () => {
    const a = kernelAvailability();
    expect(a).toMatchObject({ available: false, code: 'NO_KERNEL_ISCSI' });
    expect(a.available ? '' : a.reason).toContain('modprobe iscsi_tcp');
  });
});

describe.skipIf(!built)('poll handle lifetime (child processes using dist/)', () => {
  /** Run a child that opens a NETLINK_ROUTE channel and reads; `then` decides what it does next. */
  function child(then: string): { status: number | null; signal: string | null; ms: number } {
    const mod = distPath('transport/kernel/netlink-native.js');
    const script = `const m = await import(${JSON.stringify(mod)});
      const ch = m.openNetlinkChannel({ protocol: 0, groups: 0 });
      ch.onMessage(() => {});
      ${then}`;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 2000, killSignal: 'SIGKILL' });
    return { status: r.status, signal: r.signal, ms: Date.now() - t0 };
  }

  it('an open, reading channel keeps the process alive', () => {
    expect(child('')).toMatchObject({ status: null, signal: 'SIGKILL' });
  });

  it('close() releases the poll handle: the process exits', () => {
    expect(child('ch.close();')).toMatchObject({ status: 0, signal: null });
  });

  it('unref() lets the process exit while the channel stays open', () => {
    expect(child('ch.unref();')).toMatchObject({ status: 0, signal: null });
  });
});

describe('errno mapping', () => {
  it.each([
    ['ENOBUFS', 'recvmsg', 'NETLINK_OVERRUN'],
    ['EPERM', 'bind', 'NOT_PERMITTED'],
    ['EACCES', 'sendto', 'NOT_PERMITTED'],
    ['EAFNOSUPPORT', 'socket', 'NO_KERNEL_ISCSI'],
    ['EPROTONOSUPPORT', 'socket', 'NO_KERNEL_ISCSI'],
    ['ECONNREFUSED', 'sendto', 'NETLINK_IO'],
  ])('%s from %s -> %s', (errnoCode, syscall, code) => {
    const native = Object.assign(new Error('x'), { errno: 7, code: errnoCode, syscall });
    expect(netlinkError(native, 'test')).toMatchObject({ code, details: { errno: 7, errnoCode, syscall } });
  });

  it('a non-errno failure is NETLINK_IO with the cause kept', () => {
    const cause = new TypeError('bad');
    expect(netlinkError(cause, 'test')).toMatchObject({ code: 'NETLINK_IO', cause });
  });
});
