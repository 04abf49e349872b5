/**
 * SendTargets discovery (RFC 7143 §4.3, §7.4, Appendix C): an unnamed Discovery
 * session, one `SendTargets=All` text exchange, then Logout reason 0 (I-19).
 */
import { ISCSI_ERR, TransportError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { systemClock, TimerSlot, type Clock } from '../shared/clock.js';
import { parseSendTargets, type SendTargetsResult } from '../iscsi/sendtargets.js';
import type { ChapConfig } from '../iscsi/security.js';
import { decodeText } from '../iscsi/text/codec.js';
import type { OperationalOffer } from '../iscsi/text/negotiate.js';
import { Session } from '../session/session.js';
import type { Portal, Transport } from '../transport/types.js';

export interface SendTargetsOptions {
  transport: Transport;
  portal: Portal;
  initiatorName: string;
  initiatorAlias?: string;
  isid: Buffer;
  /** discovery.sendtargets.auth.* (separate from session CHAP, H-24). */
  chap?: ChapConfig;
  offer?: Partial<OperationalOffer>;
  loginTimeoutMs?: number;
  logoutTimeoutMs?: number;
  /** open-iscsi discovery.sendtargets.timeo.active_timeout: wait this long for the whole answer (default 30 s, I-14). */
  responseTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  random?: (n: number) => Buffer;
}

/**
 * Discover the targets behind one portal. Rejects with a typed error when login or the
 * exchange fails or times out, keeping no partial results (I-14). Parse warnings (foreign
 * keys, malformed addresses: I-21, I-22) are logged and returned.
 */
export async function discoverSendTargets(opts: SendTargetsOptions): Promise<SendTargetsResult> {
  const session = new Session({
    transport: opts.transport,
    portal: opts.portal,
    initiatorName: opts.initiatorName,
    ...(opts.initiatorAlias ? { initiatorAlias: opts.initiatorAlias } : {}),
    sessionType: 'Discovery',
    isid: opts.isid,
    ...(opts.chap ? { chap: opts.chap } : {}),
    ...(opts.offer ? { offer: opts.offer } : {}),
    ...(opts.loginTimeoutMs === undefined ? {} : { loginTimeoutMs: opts.loginTimeoutMs }),
    ...(opts.logoutTimeoutMs === undefined ? {} : { logoutTimeoutMs: opts.logoutTimeoutMs }),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.random ? { random: opts.random } : {}),
  });
  await session.login();
  let text: Buffer;
  try {
    const where = `${opts.portal.host}:${opts.portal.port}`;
    text = await answerWithin(session.sendTargetsText('All'), opts.responseTimeoutMs ?? 30_000, opts.clock ?? systemClock, where);
  } catch (err) {
    session.close();
    throw err;
  }
  // Results already received stay valid even if the target drops us now (I-20). The
  // Logout Request leaves first; the answer is decoded and parsed while the target
  // replies. It is complete at the Logout Response: the TCP close finishes in the background.
  const loggedOut = session.logout({ awaitClose: false }).catch((err: unknown) => opts.logger?.debug({ err }, 'discovery logout failed'));
  let result: SendTargetsResult;
  try {
    result = parseSendTargets(decodeText(text, 'TextResponse.data'), opts.portal);
  } finally {
    await loggedOut;
  }
  for (const w of result.warnings) opts.logger?.warn({ code: w.code, portal: opts.portal }, w.message);
  return result;
}

/** The SendTargets answer, or SENDTARGETS_TIMEOUT after `ms` (the caller then drops the session). */
function answerWithin<T>(answer: Promise<T>, ms: number, clock: Clock, where: string): Promise<T> {
  const timer = new TimerSlot(clock, 'sendtargets-response');
  return new Promise<T>((resolve, reject) => {
    timer.arm(ms, () =>
      reject(new TransportError('SENDTARGETS_TIMEOUT', `no SendTargets response from ${where} within ${ms} ms (I-14)`, { errno: ISCSI_ERR.TRANS_TIMEOUT })),
    );
    answer.then(resolve, reject).finally(() => timer.cancel());
  });
}
