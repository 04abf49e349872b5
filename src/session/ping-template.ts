/**
 * The keepalive NOP-Out of one connection, encoded once and patched per ping (bench/hold-10k:
 * a NOP per session per interval; encoding a PDU object each time was most of its cost).
 *
 * RFC 7143 §11.18: a NOP-Out with a valid ITT (≠ 0xffffffff) and TTT 0xffffffff is a ping
 * the target answers with a NOP-In (K-03); ours are always immediate (I=1, K-07), so they
 * carry CmdSN without advancing it (§3.2.2.1). LUN 0, no data. Only ITT (bytes 16-19),
 * CmdSN (24-27) and ExpStatSN (28-31) change between pings; with HeaderDigest=CRC32C the
 * digest after the BHS (§11.2.3) is recomputed over the patched 48 bytes.
 */
import { crc32c, DIGEST_LENGTH, writeDigest } from '../iscsi/crc32c.js';
import { encodeNopOut } from '../iscsi/pdu/nop.js';
import { BHS_LENGTH, RESERVED_TAG } from '../iscsi/pdu/types.js';

const OFF_ITT = 16;
const OFF_CMDSN = 24;
const OFF_EXPSTATSN = 28;

export class PingTemplate {
  private bytes: Buffer;

  constructor(private readonly headerDigest: boolean) {
    this.bytes = PingTemplate.encode(headerDigest);
  }

  private static encode(headerDigest: boolean): Buffer {
    const bhs = encodeNopOut({ kind: 'nop-out', immediate: true, lun: Buffer.alloc(8), itt: 0, ttt: RESERVED_TAG, cmdSN: 0, expStatSN: 0, data: Buffer.alloc(0) });
    if (!headerDigest) return bhs;
    const out = Buffer.alloc(BHS_LENGTH + DIGEST_LENGTH);
    bhs.copy(out, 0);
    return out;
  }

  /**
   * The wire bytes of the ping. `inUse`: the previous bytes may still be queued in the
   * socket (not yet written): then a fresh buffer is used, never the queued one patched.
   */
  build(itt: number, cmdSN: number, expStatSN: number, inUse: boolean): Buffer {
    if (inUse) this.bytes = Buffer.from(this.bytes);
    const b = this.bytes;
    b.writeUInt32BE(itt >>> 0, OFF_ITT);
    b.writeUInt32BE(cmdSN >>> 0, OFF_CMDSN);
    b.writeUInt32BE(expStatSN >>> 0, OFF_EXPSTATSN);
    if (this.headerDigest) writeDigest(crc32c(b.subarray(0, BHS_LENGTH)), b, BHS_LENGTH);
    return b;
  }
}
