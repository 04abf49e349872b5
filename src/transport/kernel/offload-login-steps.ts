/**
 * The login steps of an offload session (offload-session.ts, reference §3.7), shared by
 * the bring-up and the reconnect after a connection error: pre-login SET_PARAMs and
 * SET_HOST_PARAMs, the login PDUs through SEND_PDU / RECV_PDU (then the negotiated
 * SET_PARAMs and START_CONN), or the firmware login of CAP_LOGIN_OFFLOAD transports.
 */
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { LoginError, ISCSI_ERR } from '../../shared/errors.js';
import type { LoginParams, LoginResult } from '../../iscsi/login/machine.js';
import { SecurityNegotiation } from '../../iscsi/security.js';
import { OperationalNegotiation, type OperationalOffer } from '../../iscsi/text/negotiate.js';
import { CONN_STATE } from './abi.js';
import type { DriverEvent } from './driver-events.js';
import type { KernelTcpDriver } from './driver.js';
import { ERRNO, KernelRequestError } from './errors.js';
import { OffloadLoginError, offloadLoginTimeout } from './offload-errors.js';
import { kernelLogin } from './offload-pdu-login.js';
import type { OffloadBringUpInput } from './offload-session.js';
import { hostNetParams, hostParamRequests, hostSetParams, negotiatedSetParams, sessionSetParams } from './set-params.js';

/** Pre-login SET_PARAMs, then SET_HOST_PARAMs; -ENOSYS (and -EINVAL for host params) is not fatal, as in iscsid. */
export async function sendPreLoginParams(input: OffloadBringUpInput, sid: number, cid: number, hostNo: number, log: Logger): Promise<void> {
  const tolerate = async (fn: () => Promise<unknown>, name: string, alsoEinval: boolean): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const ok = err instanceof KernelRequestError && (err.sysErrno === ERRNO.ENOSYS || (alsoEinval && err.sysErrno === ERRNO.EINVAL));
      if (!ok) throw err;
      log.debug({ param: name }, `kernel does not take ${name}; ignored`);
    }
  };
  for (const step of sessionSetParams(input.session, { cid, caps: input.caps, kernelNops: input.kernelNops ?? true })) {
    await tolerate(() => input.driver.setParam(sid, cid, step.param, step.value), step.name, false);
  }
  const hostSteps = input.behaviour.setHostIp === 'not-supported' ? hostSetParams(input.iface) : hostNetParams(input.iface, input.behaviour);
  for (const req of hostParamRequests(hostSteps, hostNo)) {
    await tolerate(() => input.driver.request(req), 'SET_HOST_PARAM', true);
  }
}

/** Login PDUs through the kernel, then the negotiated SET_PARAMs and START_CONN. */
export async function pduLogin(input: OffloadBringUpInput, offer: OperationalOffer, sid: number, cid: number, clock: Clock, log: Logger): Promise<LoginResult> {
  const security = new SecurityNegotiation({ random: input.random, ...(input.chap ? { chap: input.chap } : {}) });
  const operational = new OperationalNegotiation(offer, { leading: input.login.tsih === 0 });
  const params: LoginParams = { ...input.login, useSecurityStage: input.chap !== undefined };
  const outcome = await kernelLogin({ driver: input.driver, sid, cid, ctx: { params, security, operational }, timeoutMs: input.loginTimeoutMs, clock, logger: log });
  if (outcome.kind === 'redirect') {
    throw new LoginError('OFFLOAD_LOGIN_REDIRECTED', `target redirected the login to ${outcome.addresses.join(', ')}; reconnect the endpoint there`, {
      errno: ISCSI_ERR.LOGIN, retryable: true, details: { addresses: outcome.addresses, permanent: outcome.permanent },
    });
  }
  const neg = { negotiated: outcome.result.params, expStatSN: outcome.result.expStatSN >>> 0, tpgt: input.tpgt };
  for (const step of negotiatedSetParams(neg, { cid, caps: input.caps })) {
    try {
      await input.driver.setParam(sid, cid, step.param, step.value);
    } catch (err) {
      if (!(err instanceof KernelRequestError && err.sysErrno === ERRNO.ENOSYS)) throw err;
    }
  }
  await input.driver.startConn(sid, cid);
  return outcome.result;
}

/** START_CONN starts the firmware login; CONN_LOGIN_STATE LOGGED_IN ends it, anything else fails it. */
export async function firmwareLogin(driver: KernelTcpDriver, sid: number, cid: number, timeoutMs: number, clock: Clock): Promise<undefined> {
  let off = (): void => {};
  const state = new Promise<number>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(offloadLoginTimeout(sid, cid, timeoutMs, 'firmware')), timeoutMs);
    off = driver.onEvent((ev: DriverEvent) => {
      if (ev.type === 'connLoginState' && ev.sid === sid && ev.cid === cid) {
        timer.cancel();
        resolve(ev.state);
      } else if (ev.type === 'connError' && ev.sid === sid && ev.cid === cid) {
        timer.cancel();
        reject(ev.error);
      }
    });
  });
  state.catch(() => {});
  try {
    await driver.startConn(sid, cid);
    const s = await state;
    if (s !== CONN_STATE.LOGGED_IN) throw new OffloadLoginError(sid, cid, s);
    return undefined;
  } finally {
    off();
  }
}
