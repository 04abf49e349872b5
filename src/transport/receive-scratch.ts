/**
 * The process-wide scratch receive buffer for usertcp reads at a PDU boundary
 * (src/iscsi/receive-framer.ts). One buffer serves every connection: Node reads one socket
 * at a time on the main thread and a framer copies out any cut-off PDU before its read
 * callback returns, so nothing refers to the scratch bytes past that callback. It grows to
 * the largest MaxRecvDataSegmentLength in use (capped; larger PDUs are assembled per
 * connection) and is never shrunk.
 */
import type { ScratchSource } from '../iscsi/receive-framer.js';

/** Smallest scratch: a 64 KiB Data-In and its header in one read. */
export const SCRATCH_MIN_BYTES = 64 * 1024 + 1024;
/** Largest scratch; a PDU above it is assembled in its connection's own buffer. */
export const SCRATCH_MAX_BYTES = 1024 * 1024 + 4096;

let shared: Buffer | undefined;

export const sharedScratch: ScratchSource = {
  get(wanted: number): Buffer {
    const size = Math.min(Math.max(wanted, SCRATCH_MIN_BYTES), SCRATCH_MAX_BYTES);
    if (shared === undefined || shared.length < size) shared = Buffer.allocUnsafeSlow(size);
    return shared;
  },
};
