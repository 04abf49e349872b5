/**
 * SendTargets discovery (RFC 7143 §4.3, §7.4, Appendix C): an unnamed Discovery
 * session, one `SendTargets=All` text exchange, then Logout reason 0 (I-19).
 */
import type { Logger } from '../shared/logger.js';
import type { Clock } from '../shared/clock.js';
import { parseSendTargets, type SendTargetsResult } from '../iscsi/sendtargets.js';
import type { ChapConfig } from '../iscsi/security.js';
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
  clock?: Clock;
  logger?: Logger;
  random?: (n: number) => Buffer;
}

/** Discover the targets behind one portal. Rejects with a typed error when login or the exchange fails (I-14). */
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
  let pairs;
  try {
    pairs = await session.sendTargets('All');
  } catch (err) {
    session.close();
    throw err;
  }
  // Results already received stay valid even if the target drops us now (I-20).
  await session.logout().catch((err: unknown) => opts.logger?.debug({ err }, 'discovery logout failed'));
  return parseSendTargets(pairs, opts.portal);
}
