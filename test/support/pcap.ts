/**
 * Minimal pcap reader for tests: classic little/big-endian pcap, Ethernet link type,
 * IPv4/IPv6 + TCP; returns the TCP payloads per direction in capture order (no
 * retransmission handling: the reference captures are clean loopback traffic).
 */
import { readFileSync } from 'node:fs';

export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

export function readPcapTcp(file: string): TcpSegment[] {
  const d = readFileSync(file);
  const magic = d.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && d.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a classic pcap`);
  const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)} is not Ethernet`);
  const out: TcpSegment[] = [];
  for (let at = 24; at + 16 <= d.length; ) {
    const caplen = u32(at + 8);
    const frame = d.subarray(at + 16, at + 16 + caplen);
    at += 16 + caplen;
    const etype = frame.readUInt16BE(12);
    let ipAt = 14;
    let proto: number;
    let src: string;
    let dst: string;
    let end: number;
    if (etype === 0x0800) {
      const ihl = (frame[ipAt]! & 0x0f) * 4;
      proto = frame[ipAt + 9]!;
      src = [...frame.subarray(ipAt + 12, ipAt + 16)].join('.');
      dst = [...frame.subarray(ipAt + 16, ipAt + 20)].join('.');
      end = ipAt + frame.readUInt16BE(ipAt + 2);
      ipAt += ihl;
    } else if (etype === 0x86dd) {
      proto = frame[ipAt + 6]!;
      src = frame.subarray(ipAt + 8, ipAt + 24).toString('hex');
      dst = frame.subarray(ipAt + 24, ipAt + 40).toString('hex');
      end = ipAt + 40 + frame.readUInt16BE(ipAt + 4);
      ipAt += 40;
    } else continue;
    if (proto !== 6) continue;
    const off = (frame[ipAt + 12]! >> 4) * 4;
    const payload = frame.subarray(ipAt + off, end);
    if (payload.length === 0) continue;
    out.push({ src, dst, srcPort: frame.readUInt16BE(ipAt), dstPort: frame.readUInt16BE(ipAt + 2), payload: Buffer.from(payload) });
  }
  return out;
}
