/**
 * Independent golden-byte builder for iSCSI PDUs (RFC 7143 §11), for tests.
 *
 * It imports nothing from src/ and is written differently from the codec:
 * every PDU is a list of `{ at, bytes }` placements copied off the RFC figure
 * (pdu-builder-dsl.ts), one function per PDU kind in each direction
 * (pdu-builder-initiator.ts, pdu-builder-target.ts). Byte 4 and bytes 5-7 come
 * from the AHS and data passed in. Nothing is validated beyond "fits the field".
 */
export * from './pdu-builder-dsl.js';
export * from './pdu-builder-initiator.js';
export * from './pdu-builder-target.js';
