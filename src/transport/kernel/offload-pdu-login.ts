/**
 * The login exchange of an offload connection through the kernel (reference §3.7):
 * each Login Request the EXISTING pure login machine (src/iscsi/login/machine.ts)
 * emits goes out as ISCSI_UEVENT_SEND_PDU (BHS as `hdr_size` bytes, then the data
 * segment unpadded as `data_size`), and each Login Response arrives as an
 * ISCSI_KEVENT_RECV_PDU event for our sid:cid, which is decoded and fed back in.
 * No second login implementation lives here: this file only moves PDUs.
 *
 * ITT: libiscsi replaces the ITT of a PDU sent with SEND_PDU by its own task tag
 * (build_itt) and hands the response up unchanged, so the response's ITT is the
 * kernel's, not ours. The kernel already matched the response to the task; we put
 * our ITT back into the BHS before decoding so the machine's ITT check (C-12)
 * stays meaningful for the usertcp path and does not misfire here.
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import { IscsiError, ProtocolError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import { initialLoginState, loginTransition, type LoginContext, type LoginEvent, type LoginResult, type LoginState } from '../../iscsi/login/machine.js';
import { decodeTargetPdu, encodePdu } from '../../iscsi/pdu/index.js';
import type { DriverEvent } from './driver-events.js';
import type { KernelTcpDriver } from './driver.js';
import { offloadLoginTimeout } from './offload-errors.js';

export type KernelLoginOutcome =
  | { kind: 'done'; result: LoginResult }
  | { kind: 'redirect'; addresses: string[]; permanent: boolean };

export interface KernelLoginOptions {
  driver: KernelTcpDriver;
  sid: number;
  cid: number;
  ctx: LoginContext;
  timeoutMs: number;
  clock?: Clock;
  logger?: Logger;
}

/** Runs the login machine over SEND_PDU / RECV_PDU until done, redirected or failed. */
export function kernelLogin(opts: KernelLoginOptions): Promise<KernelLoginOutcome> {
  const { driver, sid, cid } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.logger ?? nullLogger;
  const itt = opts.ctx.params.itt;
  return new Promise<KernelLoginOutcome>((resolve, reject) => {
    let state: LoginState = initialLoginState(opts.ctx);
    let settled = false;
    const timer = clock.setTimeout(() => finish(() => reject(offloadLoginTimeout(sid, cid, opts.timeoutMs, 'pdu'))), opts.timeoutMs);
    const off = driver.onEvent(onEvent);
    function finish(fn: () => void): void {
      if (settled) return;
      settled = true;
      timer.cancel();
      off();
      if (state.phase === 'exchanging') state.ctx.security.dispose();
      fn();
    }
    function step(event: LoginEvent): void {
      const next = loginTransition(state, event);
      state = next.state;
      for (const effect of next.effects) {
        switch (effect.type) {
          case 'send': {
            const raw = encodePdu(effect.pdu);
            driver.sendPdu(sid, cid, raw.bhs, raw.data).catch((err: unknown) => finish(() => reject(err)));
            break;
          }
          case 'warn':
            log.warn({ code: effect.code, sid, cid }, effect.message);
            break;
          case 'complete':
            finish(() => resolve({ kind: 'done', result: effect.result }));
            break;
          case 'redirect':
            finish(() => resolve({ kind: 'redirect', addresses: effect.addresses, permanent: effect.permanent }));
            break;
          case 'fail':
            finish(() => reject(effect.error));
            break;
        }
      }
    }
    function onEvent(ev: DriverEvent): void {
      if (settled) return;
      if (ev.type === 'connError' && ev.sid === sid && ev.cid === cid) {
        finish(() => reject(ev.error));
        return;
      }
      if (ev.type !== 'recvPdu' || ev.sid !== sid || ev.cid !== cid) return;
      try {
        const bhs = Buffer.from(ev.bhs);
        bhs.writeUInt32BE(itt >>> 0, 16);
        step({ type: 'pdu', pdu: decodeTargetPdu({ bhs, ahs: Buffer.alloc(0), data: ev.data }) });
      } catch (err) {
        const e = err instanceof IscsiError ? err : new ProtocolError('OFFLOAD_BAD_PDU', String(err), { cause: err });
        finish(() => reject(e));
      }
    }
    step({ type: 'start' });
  });
}
