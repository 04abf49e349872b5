/**
 * Independent iBFT builder for tests (written from the iBFT spec / reference
 * boot-and-isns.md §2.2 and §2.3, sharing no code with src/iscsi/ibft*.ts):
 *
 * - `buildIbft(spec)`: the raw ACPI table. Structures are 8-byte aligned in the order
 *   initiator, nic0, target0, nic1, target1 (absent ones take no room), strings follow the
 *   last structure NUL-terminated in the order initiator name, then per NIC/target as
 *   they appear (hostname; name, CHAP name, secret, reverse name, secret); byte 9 makes
 *   the sum 0. With the reference's values this reproduces ibft-two-targets.bin exactly.
 * - `ibftTree(spec)`: the files the kernel shows under /sys/firmware/ibft for that table
 *   (visibility rules and formats as verified in a VM).
 * - `writeTree(dir, files)`: write such a tree (optionally a `device/net/<if>` dir).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface InitiatorSpec {
  flags: number;
  index?: number;
  isns?: string;
  slp?: string;
  name: string;
}

export interface NicSpec {
  flags: number;
  index: number;
  ip?: string;
  prefix: number;
  origin: number;
  gateway?: string;
  dns1?: string;
  dns2?: string;
  dhcp?: string;
  vlan: number;
  mac: string;
  bdf: number;
  hostname?: string;
}

export interface TargetSpec {
  flags: number;
  index: number;
  ip: string;
  port: number;
  /** The 8 LUN bytes. */
  lun: number[];
  chapType: number;
  nicAssoc: number;
  name: string;
  chapName?: string;
  chapSecret?: string;
  revName?: string;
  revSecret?: string;
}

export interface IbftSpec {
  signature?: string;
  revision?: number;
  oemId: string;
  oemTableId: string;
  initiator?: InitiatorSpec;
  nics: NicSpec[];
  targets: TargetSpec[];
}

/** The reference table ibft-two-targets.bin (boot-and-isns.md §2.2 annotated sample). */
export function referenceSpec(twoTargets = true): IbftSpec {
  return {
    oemId: 'TSISCS', oemTableId: 'TSTABLE1',
    initiator: { flags: 3, isns: '10.0.2.2', name: 'iqn.2024-01.test.tsiscsi:ibft-init' },
    nics: [{ flags: 3, index: 0, ip: '10.0.2.15', prefix: 24, origin: 1, gateway: '10.0.2.2', dns1: '10.0.2.3', vlan: 0, mac: '52:54:00:12:34:56', bdf: 0x10, hostname: 'ibftclient' }],
    targets: [
      { flags: 3, index: 0, ip: '10.0.2.2', port: 13260, lun: [0, 1, 0, 0, 0, 0, 0, 0], chapType: 0, nicAssoc: 0, name: 'iqn.2026-11.test:disk1' },
      ...(twoTargets ? [{
        flags: 1, index: 1, ip: 'fd00::2:1', port: 3260, lun: [0, 0x1a, 0, 0, 0, 0, 0, 0], chapType: 2, nicAssoc: 0,
        name: 'iqn.2024-01.test.tsiscsi:ibft-second', chapName: 'chapuser', chapSecret: 'chapsecret123', revName: 'revuser', revSecret: 'revsecret4567',
      }] : []),
    ],
  };
}

/** 16 address bytes: IPv4 as ::ffff:a.b.c.d, IPv6 expanded; undefined → zeros. */
export function addressBytes(a: string | undefined): number[] {
  const out = new Array<number>(16).fill(0);
  if (a === undefined) return out;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) {
    out[10] = 0xff;
    out[11] = 0xff;
    a.split('.').forEach((p, i) => (out[12 + i] = Number(p)));
    return out;
  }
  const [head = '', tail] = a.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The raw table (see module comment). */
export function buildIbft(spec: IbftSpec): Buffer {
  type Piece = { kind: 'init' | 'nic' | 'tgt'; i: number; len: number; off: number };
  const pieces: Piece[] = [];
  let pos = align8(48 + 18);
  const add = (kind: Piece['kind'], i: number, len: number): void => {
    pieces.push({ kind, i, len, off: pos });
    pos = align8(pos + len);
  };
  if (spec.initiator) add('init', 0, 74);
  for (let k = 0; k < 2; k++) {
    if (spec.nics[k]) add('nic', k, 102);
    if (spec.targets[k]) add('tgt', k, 54);
  }
  const strings: { at: number; text: string }[] = [];
  const b = Buffer.alloc(4096);
  let str = pos;
  /** Store a string; write its length/offset at `at`. */
  const s = (at: number, text: string | undefined): void => {
    if (text === undefined) return;
    b.writeUInt16LE(text.length, at);
    b.writeUInt16LE(str, at + 2);
    strings.push({ at: str, text });
    str += text.length + 1;
  };
  const addr = (at: number, a: string | undefined): void => {
    Buffer.from(addressBytes(a)).copy(b, at);
  };
  const hdr = (off: number, id: number, len: number, index: number, flags: number): void => {
    b[off] = id;
    b[off + 1] = 1;
    b.writeUInt16LE(len, off + 2);
    b[off + 4] = index;
    b[off + 5] = flags;
  };
  b.write(spec.signature ?? 'iBFT', 0, 'latin1');
  b[8] = spec.revision ?? 1;
  b.write(spec.oemId, 10, 'latin1');
  b.write(spec.oemTableId, 16, 'latin1');
  hdr(48, 1, 18, 0, 0);
  const slot = { init: 56, nic: [58, 62], tgt: [60, 64] };
  for (const p of pieces) {
    if (p.kind === 'init') {
      const x = spec.initiator!;
      b.writeUInt16LE(p.off, slot.init);
      hdr(p.off, 2, 74, x.index ?? 0, x.flags);
      addr(p.off + 6, x.isns);
      addr(p.off + 22, x.slp);
      s(p.off + 70, x.name);
    } else if (p.kind === 'nic') {
      const x = spec.nics[p.i]!;
      b.writeUInt16LE(p.off, slot.nic[p.i]!);
      hdr(p.off, 3, 102, x.index, x.flags);
      addr(p.off + 6, x.ip);
      b[p.off + 22] = x.prefix;
      b[p.off + 23] = x.origin;
      addr(p.off + 24, x.gateway);
      addr(p.off + 40, x.dns1);
      addr(p.off + 56, x.dns2);
      addr(p.off + 72, x.dhcp);
      b.writeUInt16LE(x.vlan, p.off + 88);
      Buffer.from(x.mac.split(':').map((h) => parseInt(h, 16))).copy(b, p.off + 90);
      b.writeUInt16LE(x.bdf, p.off + 96);
      s(p.off + 98, x.hostname);
    } else {
      const x = spec.targets[p.i]!;
      b.writeUInt16LE(p.off, slot.tgt[p.i]!);
      hdr(p.off, 4, 54, x.index, x.flags);
      addr(p.off + 6, x.ip);
      b.writeUInt16LE(x.port, p.off + 22);
      Buffer.from(x.lun).copy(b, p.off + 24);
      b[p.off + 32] = x.chapType;
      b[p.off + 33] = x.nicAssoc;
      s(p.off + 34, x.name);
      s(p.off + 38, x.chapName);
      s(p.off + 42, x.chapSecret);
      s(p.off + 46, x.revName);
      s(p.off + 50, x.revSecret);
    }
  }
  for (const x of strings) b.write(`${x.text}\0`, x.at, 'latin1');
  const table = Buffer.from(b.subarray(0, str));
  table.writeUInt32LE(table.length, 4);
  let sum = 0;
  for (const byte of table) sum = (sum + byte) & 0xff;
  table[9] = (256 - sum) & 0xff;
  return table;
}

/** Recompute byte 9 so the table sums to 0 (for tests that edit a table). */
export function fixChecksum(t: Buffer): Buffer {
  t[9] = 0;
  let sum = 0;
  for (let i = 0; i < t.readUInt32LE(4) && i < t.length; i++) sum = (sum + t[i]!) & 0xff;
  t[9] = (256 - sum) & 0xff;
  return t;
}

function shown(a: string | undefined): string | undefined {
  if (a === undefined || a === '0.0.0.0') return undefined;
  const bytes = addressBytes(a);
  if (bytes.slice(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16).padStart(4, '0'));
  return groups.join(':');
}

/** The /sys/firmware/ibft files for `spec` (relative path → content). */
export function ibftTree(spec: IbftSpec): Map<string, string> {
  const f = new Map<string, string>();
  const line = (p: string, v: string | number | undefined): void => {
    if (v !== undefined) f.set(p, `${v}\n`);
  };
  line('acpi_header/signature', spec.signature ?? 'iBFT');
  line('acpi_header/oem_id', spec.oemId);
  line('acpi_header/oem_table_id', spec.oemTableId);
  if (spec.initiator) {
    const x = spec.initiator;
    line('initiator/index', x.index ?? 0);
    line('initiator/flags', x.flags);
    line('initiator/isns-server', shown(x.isns));
    line('initiator/slp-server', shown(x.slp));
    if (x.name !== '') line('initiator/initiator-name', x.name);
  }
  for (const x of spec.nics) {
    const d = `ethernet${x.index}`;
    for (const [k, v] of [['index', x.index], ['flags', x.flags], ['origin', x.origin], ['vlan', x.vlan], ['mac', x.mac.toLowerCase()]] as const) line(`${d}/${k}`, v);
    line(`${d}/ip-addr`, shown(x.ip));
    line(`${d}/gateway`, shown(x.gateway));
    line(`${d}/primary-dns`, shown(x.dns1));
    line(`${d}/secondary-dns`, shown(x.dns2));
    line(`${d}/dhcp`, shown(x.dhcp));
    if (x.prefix !== 0) {
      line(`${d}/prefix-len`, x.prefix);
      const mask = x.prefix >= 32 ? 0xffffffff : (0xffffffff << (32 - x.prefix)) >>> 0;
      f.set(`${d}/subnet-mask`, [mask >>> 24, (mask >>> 16) & 255, (mask >>> 8) & 255, mask & 255].join('.'));
    }
    line(`${d}/hostname`, x.hostname);
  }
  for (const x of spec.targets) {
    const d = `target${x.index}`;
    for (const [k, v] of [['index', x.index], ['flags', x.flags], ['port', x.port], ['nic-assoc', x.nicAssoc], ['chap-type', x.chapType]] as const) line(`${d}/${k}`, v);
    line(`${d}/ip-addr`, shown(x.ip) ?? '0.0.0.0');
    line(`${d}/lun`, x.lun.map((n) => n.toString(16)).join(''));
    if (x.name !== '') line(`${d}/target-name`, x.name);
    if (x.chapName !== undefined) {
      line(`${d}/chap-name`, x.chapName);
      line(`${d}/chap-secret`, x.chapSecret ?? '');
    }
    if (x.revName !== undefined) {
      line(`${d}/rev-chap-name`, x.revName);
      line(`${d}/rev-chap-name-secret`, x.revSecret ?? '');
    }
  }
  return f;
}

/**
 * Write `files` under `dir` (e.g. `<sysfs>/firmware/ibft`). `netdev` adds
 * `ethernet0/device/net/<netdev>/` the way a PCI NIC's sysfs looks.
 */
export function writeTree(dir: string, files: ReadonlyMap<string, string>, opts: { netdev?: string } = {}): void {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  if (opts.netdev) mkdirSync(join(dir, 'ethernet0', 'device', 'net', opts.netdev), { recursive: true });
}
