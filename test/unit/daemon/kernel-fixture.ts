/**
 * Shared pieces of the kernel-path daemon tests (kernel-path, kernel-events,
 * kernel-offload): a fake sysfs/proc tree in a temp dir, polling, and the fake kernel
 * answering Login and Logout Requests sent through ISCSI_UEVENT_SEND_PDU the way a
 * target would (Login Response / Logout Response from the independent PDU builder).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { KernelPathOptions } from '../../../src/daemon/kernel-path.js';
import { FakeKernel, type FakeChannel } from '../../support/fake-kernel/index.js';
import type { FakeTarget } from '../../support/fake-target/index.js';
import { loginResponse, logoutResponse, textData } from '../../support/pdu-builder.js';
import type { TestDaemon } from './helpers.js';

/** Write `files` under `root`: a path ending in `/` is a directory, any other a file with that text. */
export function writeTree(root: string, files: Record<string, string>): void {
  for (const [p, v] of Object.entries(files)) {
    if (p.endsWith('/')) mkdirSync(join(root, p), { recursive: true });
    else {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), v);
    }
  }
}

/** The text of `root/p`. */
export const readTree = (root: string, p: string): string => readFileSync(join(root, p), 'utf8');

/** The iscsi_tcp transport handle the tcp tests put in sysfs. */
export const TCP_HANDLE = 0xffffffffc0a01000n;

/** A temp root, a fake kernel whose sessions start at 5 on host 2, and one channel (pid 4711). */
export interface TcpKernelEnv {
  root: string;
  k: FakeKernel;
  ch: FakeChannel;
}

/** A fresh TcpKernelEnv; sysfs has the tcp transport and scsi_host host2 (iscsi_tcp, running), plus `files`. */
export function tcpKernelEnv(prefix: string, files: Record<string, string>): TcpKernelEnv {
  const root = mkdtempSync(prefix);
  const k = new FakeKernel({ firstSid: 5, firstHostNo: 2 });
  const ch = k.open({ pid: 4711 });
  writeTree(root, {
    'sys/class/iscsi_transport/tcp/handle': `${TCP_HANDLE}\n`, 'sys/class/iscsi_transport/tcp/caps': '0x39\n',
    'sys/class/scsi_host/host2/state': 'running\n', 'sys/class/scsi_host/host2/proc_name': 'iscsi_tcp\n', ...files,
  });
  return { root, k, ch };
}

/** Stop the daemon and the fake target (either may be absent), then remove `root`. */
export async function tearDown(d: TestDaemon | undefined, target: FakeTarget | undefined, root: string): Promise<void> {
  await d?.stop();
  await target?.stop();
  rmSync(root, { recursive: true, force: true });
}

/** Poll `pred` every 20 ms; throws when it is still false after `ms`. */
export async function until(pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kernel path options over one already opened fake channel, with sysfs under `root`. */
export function channelKernelOpts(root: string, ch: FakeChannel): KernelPathOptions {
  return { root, availability: () => ({ available: true }), openChannel: () => ({ channel: ch, pid: ch.pid }), requestTimeoutMs: 2000 };
}

/**
 * Kernel path options that open a new fake channel per transport (as offload transports
 * need), pids from 5001; the groups of every channel opened are pushed to `opened`.
 */
export function offloadKernelOpts(root: string, k: FakeKernel, opened: number[][]): KernelPathOptions {
  let pid = 5000;
  return {
    root, availability: () => ({ available: true }), requestTimeoutMs: 2000, offloadPollMs: 1,
    openChannel: ({ groups }) => {
      opened.push([...groups]);
      const ch = k.open({ pid: ++pid, groups });
      return { channel: ch, pid: ch.pid };
    },
  };
}

/** Sequence numbers of one answer. */
interface Numbers { statSN: number; expCmdSN: number }

/** How the fake kernel answers as the target. */
export interface TargetAnswers {
  /** TSIH of the final Login Response. */
  tsih: number;
  maxCmdSN: number;
  login: Numbers;
  logout: Numbers;
  /** The ITT to answer with (default: the request's own). */
  itt?: number;
}

/**
 * The fake kernel plays the target for PDUs sent through SEND_PDU: every Login Request
 * is accepted, echoing each offered key with its first value (MaxRecvDataSegmentLength
 * 65536, TargetPortalGroupTag 1 on the first); every Logout Request gets response 0.
 */
export function playTarget(k: FakeKernel, a: TargetAnswers): void {
  k.onSendPdu = ({ sid, cid, header, data }) => {
    const opcode = (header[0] ?? 0) & 0x3f;
    const itt = a.itt ?? header.readUInt32BE(16);
    if (opcode === 0x03) {
      const req = new Map(data.toString('latin1').split('\0').filter(Boolean).map((p) => p.split('=') as [string, string]));
      const answer: Array<[string, string]> = [];
      for (const [key, v] of req) {
        if (['InitiatorName', 'InitiatorAlias', 'TargetName', 'SessionType'].includes(key)) continue;
        answer.push([key, key === 'MaxRecvDataSegmentLength' ? '65536' : v.split(',')[0]!]);
      }
      if (req.has('InitiatorName')) answer.push(['TargetPortalGroupTag', '1']);
      const csg = ((header[1] ?? 0) >> 2) & 3;
      const nsg = (header[1] ?? 0) & 3;
      const transit = ((header[1] ?? 0) & 0x80) !== 0;
      const r = loginResponse({
        transit, cont: false, csg, nsg, versionMax: 0, versionActive: 0, isid: header.subarray(8, 14), tsih: transit && nsg === 3 ? a.tsih : 0,
        itt, statusClass: 0, statusDetail: 0, ...a.login, maxCmdSN: a.maxCmdSN, data: textData(answer),
      });
      k.recvPdu(sid, cid, r.bhs, r.data);
    } else if (opcode === 0x06) {
      const r = logoutResponse({ response: 0, itt, time2Wait: 0, time2Retain: 0, ...a.logout, maxCmdSN: a.maxCmdSN });
      k.recvPdu(sid, cid, r.bhs);
    }
  };
}

/** The answers of the iscsi_tcp tests (kernel-path, kernel-events). */
export const TCP_ANSWERS: TargetAnswers = { tsih: 0x99, maxCmdSN: 50, login: { statSN: 500, expCmdSN: 42 }, logout: { statSN: 600, expCmdSN: 43 } };

/** node.new for `target` at 127.0.0.1:`port` (TPGT 1), then node.login; expects success and returns the sid. */
export async function loginNode(d: TestDaemon, target: string, port: number): Promise<number> {
  await d.call('node.new', { target, address: '127.0.0.1', port, tpgt: 1 });
  const login = await d.call<{ firstErrno: number; results: Array<{ sids: number[] }> }>('node.login', { target });
  expect(login.firstErrno, JSON.stringify(d.logs.filter((l) => l.level !== 'debug').slice(-5))).toBe(0);
  return login.results[0]!.sids[0]!;
}
