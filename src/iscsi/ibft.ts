/**
 * iBFT, the iSCSI Boot Firmware Table (ACPI signature `iBFT`, also `IBFT` and Broadcom's
 * `BIFT`): a pure parser of the raw table as firmware leaves it in memory and Linux
 * exposes it at /sys/firmware/acpi/tables/iBFT (reference boot-and-isns.md §2.1, §2.2).
 *
 * Layout (little-endian; offsets from the table start):
 *
 * ```
 *  0 signature[4]  4 length u32  8 revision u8 (=1)  9 checksum u8  10 oem_id[6]
 * 16 oem_table_id[8]  24 reserved[24]
 * 48 control:  id 1, len >= 18; 6 extensions u16, then u16 offsets: initiator, nic0, tgt0,
 *              nic1, tgt1 (... further u16 slots up to the control length; 0 = absent)
 * structure header: 0 id u8  1 version u8  2 length u16  4 index u8  5 flags u8
 * ```
 *
 * Checks follow drivers/firmware/iscsi_ibft.c: the whole table (as long as its `length`
 * says) must sum to 0 mod 256, revision must be 1, the control structure must have id 1,
 * index 0 and length >= 18. A slot offset of 0 or beyond the table is ignored (as the
 * kernel does); a structure whose id/length do not match its kind is skipped with a
 * warning (the kernel skips it too). Strings (`*_len` + `*_off`) must lie inside the table:
 * the kernel would read past it, we refuse. Every failure is a ProtocolError whose code
 * starts with IBFT_ and whose details name the field (`where`) and the byte `offset`.
 */
import { ISCSI_ERR, ProtocolError } from '../shared/errors.js';

/** Table header length (ACPI header + 24 reserved bytes). */
export const IBFT_HEADER_LENGTH = 48;
/** Signatures the kernel accepts (ACPI_SIG_IBFT and the two aliases). */
export const IBFT_SIGNATURES = ['iBFT', 'IBFT', 'BIFT'] as const;
export type IbftSignature = (typeof IBFT_SIGNATURES)[number];

/** Structure ids (iBFT spec §3; EDK2 IScsiBootFirmwareTable.h). */
export const IBFT_ID = { reserved: 0, control: 1, initiator: 2, nic: 3, target: 4, extensions: 5 } as const;
/** Fixed structure lengths the kernel insists on. */
export const IBFT_LENGTH = { control: 18, initiator: 74, nic: 102, target: 54 } as const;

/** Flag bits (bit 0 = block valid, bit 1 = firmware boot selected). */
export const IBFT_FLAG = { valid: 0x01, bootSelected: 0x02, globalAddress: 0x04, radiusChap: 0x04, radiusReverseChap: 0x08 } as const;
/** NIC `origin` (IP prefix origin) value meaning DHCP. */
export const IBFT_ORIGIN_DHCP = 3;

/** The table's header fields. */
export interface IbftHeader {
  readonly signature: IbftSignature;
  readonly length: number;
  readonly revision: number;
  readonly checksum: number;
  readonly oemId: string;
  readonly oemTableId: string;
}

/** A 16-byte address field: undefined when null (all zero or ::ffff:0.0.0.0). */
export type IbftAddress = string | undefined;

interface Located {
  /** Byte offset of the structure in the table. */
  readonly offset: number;
  readonly index: number;
  readonly flags: number;
}

export interface IbftInitiator extends Located {
  readonly isnsServer: IbftAddress;
  readonly slpServer: IbftAddress;
  readonly primaryRadius: IbftAddress;
  readonly secondaryRadius: IbftAddress;
  /** '' when name_len is 0. */
  readonly name: string;
}

export interface IbftNic extends Located {
  readonly ip: IbftAddress;
  readonly prefixLength: number;
  readonly origin: number;
  readonly gateway: IbftAddress;
  readonly primaryDns: IbftAddress;
  readonly secondaryDns: IbftAddress;
  readonly dhcp: IbftAddress;
  readonly vlan: number;
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** bus << 8 | device << 3 | function (PCI domain 0). */
  readonly pciBdf: number;
  /** Present when hostname_off != 0 (the kernel's visibility rule). */
  readonly hostname: string | undefined;
}

/** chap_type: 0 none, 1 CHAP, 2 mutual CHAP. */
export type IbftChapType = number;

export interface IbftTarget extends Located {
  /** Always formatted (the kernel shows ip-addr even when null). */
  readonly ip: string;
  readonly port: number;
  /** The 8-byte SAM LUN. */
  readonly lun: Uint8Array;
  readonly chapType: IbftChapType;
  readonly nicAssoc: number;
  readonly name: string;
  /** undefined when chap_name_len is 0 (then the secret is not shown either). */
  readonly chapName: string | undefined;
  readonly chapSecret: string | undefined;
  readonly reverseChapName: string | undefined;
  readonly reverseChapSecret: string | undefined;
}

/** A structure the kernel would skip (wrong id/length, or a kind it ignores). */
export interface IbftWarning {
  readonly code: 'IBFT_STRUCTURE_SKIPPED';
  readonly where: string;
  readonly offset: number;
  readonly message: string;
}

/** A parsed table. Structures appear in control-slot order. */
export interface IbftTable {
  readonly header: IbftHeader;
  /** Control flags (bit 0: boot failover). */
  readonly controlFlags: number;
  readonly extensions: number;
  readonly initiator: IbftInitiator | undefined;
  readonly nics: readonly IbftNic[];
  readonly targets: readonly IbftTarget[];
  readonly warnings: readonly IbftWarning[];
}

function fail(code: string, message: string, where: string, offset: number): ProtocolError {
  return new ProtocolError(code, `iBFT ${where} at offset ${offset}: ${message}`, {
    errno: ISCSI_ERR.NO_OBJS_FOUND, retryable: false, where, details: { offset },
  });
}

/** Kernel sprintf_ipaddr: IPv4-mapped → dotted quad, else eight uncompressed 4-digit groups. */
export function formatIbftAddress(b: Uint8Array): string {
  const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).padStart(4, '0'));
  return groups.join(':');
}

/** Kernel address_not_null: neither all zero nor ::ffff:0.0.0.0. */
export function ibftAddressIsNull(b: Uint8Array): boolean {
  const zeroTail = b.subarray(12, 16).every((x) => x === 0);
  const zeroHead = b.subarray(0, 10).every((x) => x === 0);
  return zeroHead && zeroTail && ((b[10] === 0 && b[11] === 0) || (b[10] === 0xff && b[11] === 0xff));
}

/** Kernel `lun` attribute: each of the 8 bytes as `%x`, no zero padding. */
export function formatIbftLun(lun: Uint8Array): string {
  return [...lun].map((x) => x.toString(16)).join('');
}

/** Kernel `subnet-mask` from a prefix length (x86 shift semantics, as the kernel computes it). */
export function ibftSubnetMask(prefix: number): string {
  const shift = (32 - prefix) & 31;
  const mask = ~((1 << shift) - 1) >>> 0;
  return [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.');
}

class Reader {
  constructor(readonly buf: Uint8Array, readonly length: number) {}

  u8(off: number): number {
    return this.buf[off]!;
  }

  u16(off: number): number {
    return this.buf[off]! | (this.buf[off + 1]! << 8);
  }

  ascii(off: number, len: number): string {
    let s = '';
    for (let i = off; i < off + len; i++) s += String.fromCharCode(this.buf[i]!);
    return s;
  }

  address(off: number): IbftAddress {
    const b = this.buf.subarray(off, off + 16);
    return ibftAddressIsNull(b) ? undefined : formatIbftAddress(b);
  }

  /** `len` bytes at the u16 offset stored at `offField`, cut at the first NUL (kernel `%.*s`). */
  string(lenField: number, offField: number, where: string): string {
    const len = this.u16(lenField);
    if (len === 0) return '';
    const off = this.u16(offField);
    if (off + len > this.length) throw fail('IBFT_STRING_BOUNDS', `string of ${len} bytes at ${off} ends past the table (${this.length} bytes)`, where, offField);
    const bytes = this.buf.subarray(off, off + len);
    const nul = bytes.indexOf(0);
    return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString('latin1');
  }
}

function header(r: Reader, buf: Uint8Array): IbftHeader {
  if (buf.length < IBFT_HEADER_LENGTH) throw fail('IBFT_TRUNCATED', `${buf.length} bytes, the header alone is ${IBFT_HEADER_LENGTH}`, 'header', 0);
  const signature = r.ascii(0, 4);
  if (!(IBFT_SIGNATURES as readonly string[]).includes(signature)) throw fail('IBFT_SIGNATURE', `signature ${JSON.stringify(signature)} is not iBFT/IBFT/BIFT`, 'header.signature', 0);
  const length = (buf[4]! | (buf[5]! << 8) | (buf[6]! << 16) | (buf[7]! << 24)) >>> 0;
  if (length < IBFT_HEADER_LENGTH + IBFT_LENGTH.control) throw fail('IBFT_LENGTH', `table length ${length} leaves no room for the control structure`, 'header.length', 4);
  if (length > buf.length) throw fail('IBFT_TRUNCATED', `table length ${length} but only ${buf.length} bytes present`, 'header.length', 4);
  const revision = buf[8]!;
  if (revision !== 1) throw fail('IBFT_REVISION', `revision ${revision}; only revision 1 is supported`, 'header.revision', 8);
  let sum = 0;
  for (let i = 0; i < length; i++) sum = (sum + buf[i]!) & 0xff;
  if (sum !== 0) throw fail('IBFT_CHECKSUM', `bytes sum to ${sum} mod 256, not 0`, 'header.checksum', 9);
  const text = (off: number, len: number) => r.ascii(off, len).replace(/\0+$/, '');
  return { signature: signature as IbftSignature, length, revision, checksum: buf[9]!, oemId: text(10, 6), oemTableId: text(16, 8) };
}

function initiatorAt(r: Reader, off: number): IbftInitiator {
  return {
    offset: off, index: r.u8(off + 4), flags: r.u8(off + 5),
    isnsServer: r.address(off + 6), slpServer: r.address(off + 22), primaryRadius: r.address(off + 38), secondaryRadius: r.address(off + 54),
    name: r.string(off + 70, off + 72, 'initiator.name'),
  };
}

function nicAt(r: Reader, off: number, n: number): IbftNic {
  const mac = [...r.buf.subarray(off + 90, off + 96)].map((x) => x.toString(16).padStart(2, '0')).join(':');
  const where = `nic[${n}]`;
  return {
    offset: off, index: r.u8(off + 4), flags: r.u8(off + 5),
    ip: r.address(off + 6), prefixLength: r.u8(off + 22), origin: r.u8(off + 23), gateway: r.address(off + 24),
    primaryDns: r.address(off + 40), secondaryDns: r.address(off + 56), dhcp: r.address(off + 72),
    vlan: r.u16(off + 88), mac, pciBdf: r.u16(off + 96),
    hostname: r.u16(off + 100) === 0 ? undefined : r.string(off + 98, off + 100, `${where}.hostname`),
  };
}

function targetAt(r: Reader, off: number, n: number): IbftTarget {
  const where = `target[${n}]`;
  const chapName = r.u16(off + 38) === 0 ? undefined : r.string(off + 38, off + 40, `${where}.chap_name`);
  const reverse = r.u16(off + 46) === 0 ? undefined : r.string(off + 46, off + 48, `${where}.reverse_chap_name`);
  return {
    offset: off, index: r.u8(off + 4), flags: r.u8(off + 5),
    ip: formatIbftAddress(r.buf.subarray(off + 6, off + 22)), port: r.u16(off + 22), lun: Uint8Array.from(r.buf.subarray(off + 24, off + 32)),
    chapType: r.u8(off + 32), nicAssoc: r.u8(off + 33),
    name: r.string(off + 34, off + 36, `${where}.name`),
    chapName,
    chapSecret: chapName === undefined ? undefined : r.string(off + 42, off + 44, `${where}.chap_secret`),
    reverseChapName: reverse,
    reverseChapSecret: reverse === undefined ? undefined : r.string(off + 50, off + 52, `${where}.reverse_chap_secret`),
  };
}

const KINDS: Readonly<Record<number, { name: 'initiator' | 'nic' | 'target'; length: number }>> = {
  [IBFT_ID.initiator]: { name: 'initiator', length: IBFT_LENGTH.initiator },
  [IBFT_ID.nic]: { name: 'nic', length: IBFT_LENGTH.nic },
  [IBFT_ID.target]: { name: 'target', length: IBFT_LENGTH.target },
};

/**
 * Parse a raw iBFT table.
 * @throws ProtocolError IBFT_TRUNCATED | IBFT_SIGNATURE | IBFT_LENGTH | IBFT_REVISION |
 *   IBFT_CHECKSUM | IBFT_CONTROL | IBFT_STRING_BOUNDS (errno 21, details.where/offset).
 */
export function parseIbft(buf: Uint8Array): IbftTable {
  const r0 = new Reader(buf, buf.length);
  const hdr = header(r0, buf);
  const r = new Reader(buf, hdr.length);
  const c = IBFT_HEADER_LENGTH;
  if (r.u8(c) !== IBFT_ID.control) throw fail('IBFT_CONTROL', `structure id ${r.u8(c)}, expected 1 (control)`, 'control.id', c);
  const clen = r.u16(c + 2);
  if (clen < IBFT_LENGTH.control) throw fail('IBFT_CONTROL', `length ${clen} < ${IBFT_LENGTH.control}`, 'control.length', c + 2);
  if (c + clen > hdr.length) throw fail('IBFT_CONTROL', `length ${clen} runs past the table`, 'control.length', c + 2);
  if (r.u8(c + 4) !== 0) throw fail('IBFT_CONTROL', `index ${r.u8(c + 4)}, expected 0`, 'control.index', c + 4);
  const warnings: IbftWarning[] = [];
  let initiator: IbftInitiator | undefined;
  const nics: IbftNic[] = [];
  const targets: IbftTarget[] = [];
  // The kernel walks every u16 slot from initiator_off to the end of the control structure.
  for (let slot = c + 8, n = 0; slot + 2 <= c + clen; slot += 2, n++) {
    const off = r.u16(slot);
    if (off === 0 || off >= hdr.length) continue;
    const where = `control.slot[${n}] -> ${off}`;
    const id = off + 6 <= hdr.length ? r.u8(off) : -1;
    const kind = KINDS[id];
    if (!kind) {
      warnings.push({ code: 'IBFT_STRUCTURE_SKIPPED', where, offset: off, message: `structure id ${id} is not an initiator, NIC or target` });
      continue;
    }
    const len = r.u16(off + 2);
    if (len !== kind.length || off + len > hdr.length) {
      warnings.push({ code: 'IBFT_STRUCTURE_SKIPPED', where, offset: off, message: `${kind.name} length ${len}, expected ${kind.length} inside the table` });
      continue;
    }
    if (kind.name === 'initiator') initiator ??= initiatorAt(r, off);
    else if (kind.name === 'nic') nics.push(nicAt(r, off, nics.length));
    else targets.push(targetAt(r, off, targets.length));
  }
  return { header: hdr, controlFlags: r.u8(c + 5), extensions: r.u16(c + 6), initiator, nics, targets, warnings };
}
