/**
 * Vital Product Data pages (SPC-4 §7.8). Every page starts with the same header:
 *   0   bits 7-5 PERIPHERAL QUALIFIER, bits 4-0 PERIPHERAL DEVICE TYPE
 *   1   PAGE CODE
 *   2-3 PAGE LENGTH (n - 3)
 *   4.. page-specific bytes
 */
import { asciiField, badScsiData, hexField, requireLength, u16 } from './bytes.js';

/** VPD page codes parsed here. */
export const VpdPage = {
  SupportedPages: 0x00,
  UnitSerialNumber: 0x80,
  DeviceIdentification: 0x83,
} as const;

/** Bytes the whole page needs (4 + PAGE LENGTH); compare with the allocation length used. */
export function vpdRequiredLength(data: Uint8Array): number {
  requireLength(data, 4, 'VPD.header');
  return 4 + u16(data, 2);
}

/** Check the header and return the page body; throws BAD_SCSI_DATA on a wrong page or truncation. */
function vpdBody(data: Uint8Array, page: number, name: string): Uint8Array {
  const needed = vpdRequiredLength(data);
  if (data[1] !== page) {
    throw badScsiData(`VPD ${name}.PAGE CODE`, `expected 0x${page.toString(16)}, got 0x${data[1]!.toString(16)}`);
  }
  if (data.length < needed) {
    throw badScsiData(`VPD ${name}.PAGE LENGTH`, `${needed - 4} bytes announced, ${data.length - 4} present`);
  }
  return data.subarray(4, needed);
}

/** Supported VPD Pages page (00h, SPC-4 §7.8): body is a list of page codes. */
export function parseVpdSupportedPages(data: Uint8Array): number[] {
  return [...vpdBody(data, VpdPage.SupportedPages, 'Supported Pages')];
}

/** Unit Serial Number page (80h, SPC-4 §7.8): body is the PRODUCT SERIAL NUMBER in ASCII; trimmed. */
export function parseVpdUnitSerial(data: Uint8Array): string {
  const body = vpdBody(data, VpdPage.UnitSerialNumber, 'Unit Serial Number');
  return asciiField(body, 0, body.length);
}

/** DESIGNATOR TYPE values (SPC-4 Device Identification page) and the names used in `typeName`. */
const DESIGNATOR_TYPES: Readonly<Record<number, string>> = {
  0x0: 'vendor-specific',
  0x1: 't10-vendor-id',
  0x2: 'eui-64',
  0x3: 'naa',
  0x4: 'relative-target-port',
  0x5: 'target-port-group',
  0x6: 'logical-unit-group',
  0x7: 'md5-logical-unit',
  0x8: 'scsi-name-string',
  0x9: 'protocol-specific-port',
  0xa: 'uuid',
};

const ASSOCIATIONS = ['logical-unit', 'target-port', 'target-device', 'reserved'] as const;

/** CODE SET values (SPC-4 §7.8, Device Identification page). */
export const CodeSet = { Binary: 1, Ascii: 2, Utf8: 3 } as const;

/** One designation descriptor of the Device Identification page. */
export interface Designator {
  /** CODE SET: 1 binary, 2 ASCII, 3 UTF-8. */
  codeSet: number;
  /** PROTOCOL IDENTIFIER (5 = iSCSI); `undefined` unless PIV is set and the association is a port or device. */
  protocolIdentifier: number | undefined;
  /** ASSOCIATION: 0 logical unit, 1 target port, 2 target device. */
  association: number;
  associationName: (typeof ASSOCIATIONS)[number];
  /** DESIGNATOR TYPE (3 = NAA, 1 = T10 vendor ID, 8 = SCSI name string, ...). */
  type: number;
  typeName: string;
  /** Lower-case hex for binary (and reserved) code sets; text (trimmed) for ASCII and UTF-8. */
  value: string;
}

/**
 * Designation descriptor layout (SPC-4 §7.8, Device Identification page):
 *   0 bits 7-4 PROTOCOL IDENTIFIER, bits 3-0 CODE SET
 *   1 bit 7 PIV, bits 5-4 ASSOCIATION, bits 3-0 DESIGNATOR TYPE
 *   2 reserved | 3 DESIGNATOR LENGTH | 4.. DESIGNATOR
 */
function decodeDesignator(body: Uint8Array, off: number): { d: Designator; next: number } {
  const where = `VPD Device Identification.designator@${off + 4}`;
  if (body.length - off < 4) throw badScsiData(where, `descriptor header needs 4 bytes, ${body.length - off} left`);
  const b0 = body[off]!;
  const b1 = body[off + 1]!;
  const len = body[off + 3]!;
  const start = off + 4;
  const end = start + len;
  if (end > body.length) throw badScsiData(where, `DESIGNATOR LENGTH ${len} runs past the page`);
  const codeSet = b0 & 0x0f;
  const association = (b1 >> 4) & 0x03;
  const piv = (b1 & 0x80) !== 0;
  const type = b1 & 0x0f;
  let value: string;
  if (codeSet === CodeSet.Ascii) value = asciiField(body, start, end);
  else if (codeSet === CodeSet.Utf8) value = utf8Field(body, start, end);
  else value = hexField(body, start, end);
  return {
    d: {
      codeSet,
      protocolIdentifier: piv && (association === 1 || association === 2) ? b0 >> 4 : undefined,
      association,
      associationName: ASSOCIATIONS[association]!,
      type,
      typeName: DESIGNATOR_TYPES[type] ?? 'reserved',
      value,
    },
    next: end,
  };
}

/** UTF-8 text up to the first NUL (SCSI name strings are NUL terminated and padded). */
function utf8Field(data: Uint8Array, start: number, end: number): string {
  let stop = start;
  while (stop < end && data[stop] !== 0) stop++;
  return Buffer.from(data.subarray(start, stop)).toString('utf8').trim();
}

/** Device Identification page (83h, SPC-4 §7.8): the list of designators in page order. */
export function parseVpdDeviceIdentification(data: Uint8Array): Designator[] {
  const body = vpdBody(data, VpdPage.DeviceIdentification, 'Device Identification');
  const out: Designator[] = [];
  let off = 0;
  while (off < body.length) {
    const { d, next } = decodeDesignator(body, off);
    out.push(d);
    off = next;
  }
  return out;
}
