/** iSNSP (RFC 4171) codec for an iSCSI initiator: pure, no sockets. */
export * from './attrs.js';
export * from './constants.js';
export * from './errors.js';
export * from './messages.js';
export * from './objects.js';
export * from './pdu.js';
