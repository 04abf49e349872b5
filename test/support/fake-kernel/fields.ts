/** Field access on a request being handled by the fake kernel (offsets are absolute uevent offsets). */
import { rd32, rd64 } from './dsl.js';
import type { FakeKernel, Req } from './kernel.js';

/** 0: success (the uevent is echoed); negative: IF_ERROR errno; 'multicast': answered with data already. */
export type Handler = (k: FakeKernel, q: Req) => number | 'multicast';

/** u-union field at an absolute uevent offset (the union starts at 16). */
export const uf32 = (q: Req, at: number): number => rd32(q.u, at - 16);
export const uf16 = (q: Req, at: number): number => rd32(q.u, at - 16) & 0xffff;
export const uf64 = (q: Req, at: number): bigint => rd64(q.u, at - 16);
/** Writes a u32 of the reply union `r` (absolute offset). */
export const setR = (q: Req, at: number, v: number): void => {
  q.ev.writeUInt32LE(v >>> 0, at);
};
/** Success at the netlink level with a driver result in r.retcode (BIND/START/SEND_PDU/EP_POLL). */
export const retcode = (q: Req, v: number): number => {
  q.ev.writeInt32LE(v, 40);
  return 0;
};
