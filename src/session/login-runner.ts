/**
 * Runs the pure login machine over a transport connection: connect, exchange Login
 * PDUs under one login timer (connect + whole exchange, open-iscsi's login_timeout),
 * and follow redirects on fresh TCP connections (G-01..G-08, C-14).
 */
import { IscsiError, ISCSI_ERR, LoginError, ProtocolError, TransportError } from '../shared/errors.js';
import { TimerSlot, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { initialLoginState, loginTransition, type LoginParams, type LoginResult, type LoginState } from '../iscsi/login/machine.js';
import { parseTargetAddress } from '../iscsi/portal.js';
import { ChallengeRegistry, SecurityNegotiation, type ChapConfig } from '../iscsi/security.js';
import { OperationalNegotiation, type OperationalOffer } from '../iscsi/text/negotiate.js';
import type { PduStream } from '../transport/pdu-stream.js';
import type { Portal, Transport } from '../transport/types.js';

/**
 * Challenges issued on every open connection of this process, so a target that
 * reflects one of ours back is caught across connections (H-17).
 */
const processRegistry = new ChallengeRegistry();

/** Redirects followed in one login before giving up (G-07). */
export const DEFAULT_MAX_REDIRECTS = 8;

export interface LoginRunOptions {
  transport: Transport;
  portal: Portal;
  login: Omit<LoginParams, 'useSecurityStage'>;
  chap?: ChapConfig;
  offer: OperationalOffer;
  loginTimeoutMs: number;
  maxRedirects?: number;
  localAddress?: string;
  random: (n: number) => Buffer;
  registry?: ChallengeRegistry;
  clock: Clock;
  logger: Logger;
}

export interface Established {
  stream: PduStream;
  result: LoginResult;
  /** The portal the session ended up on (after redirects). */
  portal: Portal;
  /** Set when a permanent redirect (0x0102) moved the target (G-05). */
  movedPermanently?: Portal;
}

type Attempt = { kind: 'done'; stream: PduStream; result: LoginResult } | { kind: 'redirect'; addresses: string[]; permanent: boolean };

/** Log in, following redirects. Rejects with a typed IscsiError. */
export async function establish(opts: LoginRunOptions): Promise<Established> {
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let candidates: Portal[] = [opts.portal];
  let movedPermanently: Portal | undefined;
  for (let redirects = 0; ; redirects++) {
    let lastError: unknown;
    let attempt: Attempt | undefined;
    let portal: Portal = candidates[0]!;
    // A redirect may list several TargetAddress values: try them in turn (G-03).
    for (const candidate of candidates) {
      portal = candidate;
      try {
        attempt = await attemptLogin(opts, candidate);
        break;
      } catch (err) {
        lastError = err;
        if (err instanceof IscsiError && !(err instanceof TransportError)) throw err;
      }
    }
    if (!attempt) throw lastError;
    if (attempt.kind === 'done') {
      return { stream: attempt.stream, result: attempt.result, portal, ...(movedPermanently ? { movedPermanently } : {}) };
    }
    if (redirects + 1 > maxRedirects) {
      throw new LoginError('TOO_MANY_REDIRECTS', `login was redirected more than ${maxRedirects} times (last to ${attempt.addresses.join(', ')})`, {
        errno: ISCSI_ERR.FATAL_LOGIN,
        details: { portal: `${portal.host}:${portal.port}` },
      });
    }
    candidates = redirectTargets(attempt.addresses);
    opts.logger.info({ to: attempt.addresses, permanent: attempt.permanent }, 'login redirected');
    if (attempt.permanent) movedPermanently = candidates[0];
  }
}

/** Parse redirect TargetAddress values; a `,tag` is a target bug and is ignored (G-08). */
function redirectTargets(addresses: string[]): Portal[] {
  const portals: Portal[] = [];
  for (const value of addresses) {
    const parsed = parseTargetAddress(value);
    portals.push({ host: parsed.host, port: parsed.port });
  }
  return portals;
}

/** One TCP connection, one login phase (C-14: never a second phase on one connection). */
async function attemptLogin(opts: LoginRunOptions, portal: Portal): Promise<Attempt> {
  const timer = new TimerSlot(opts.clock, 'login-timeout');
  const where = `${portal.host}:${portal.port}`;
  const timedOut = new Promise<never>((_, reject) => {
    timer.arm(opts.loginTimeoutMs, () => {
      reject(new TransportError('LOGIN_TIMEOUT', `login to ${where} timed out after ${opts.loginTimeoutMs} ms (C-15)`, { errno: ISCSI_ERR.TRANS_TIMEOUT, details: { portal: where } }));
    });
  });
  timedOut.catch(() => {});
  // No AbortController of our own (with the session's, linked to it, they were ~2 % of a
  // login+logout profile, bench/login-1000): the connect has its own timer with the same
  // timeout, and a connect the login timer overtook is closed as soon as it completes.
  let connecting: Promise<PduStream> | undefined;
  let stream: PduStream | undefined;
  try {
    connecting = opts.transport.connect(portal, { timeoutMs: opts.loginTimeoutMs, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    stream = await Promise.race([connecting, timedOut]);
    return await Promise.race([exchange(opts, stream, where), timedOut]);
  } catch (err) {
    if (stream) stream.destroy();
    else connecting?.then((s) => s.destroy(), () => {});
    throw err;
  } finally {
    timer.cancel();
  }
}

function exchange(opts: LoginRunOptions, stream: PduStream, where: string): Promise<Attempt> {
  const security = new SecurityNegotiation({ random: opts.random, ...(opts.chap ? { chap: opts.chap } : {}), registry: opts.registry ?? processRegistry });
  const operational = new OperationalNegotiation(opts.offer, { leading: opts.login.tsih === 0 });
  const params: LoginParams = { ...opts.login, useSecurityStage: opts.chap !== undefined };
  const log = opts.logger.child({ portal: where });
  return new Promise<Attempt>((resolve, reject) => {
    let state: LoginState = initialLoginState({ params, security, operational });
    const settle = (fn: () => void): void => {
      stream.hold();
      fn();
    };
    const step = (event: Parameters<typeof loginTransition>[1]): void => {
      const next = loginTransition(state, event);
      state = next.state;
      for (const effect of next.effects) {
        switch (effect.type) {
          case 'send':
            stream.send(effect.pdu);
            break;
          case 'warn':
            log.warn({ code: effect.code }, effect.message);
            break;
          case 'complete': {
            // Digests and the declared receive limit start with the very next PDU (P-03).
            const p = effect.result.params;
            stream.enterFullFeature({ headerDigest: p.headerDigest === 'CRC32C', dataDigest: p.dataDigest === 'CRC32C', maxRecvDataSegmentLength: p.maxRecvDataSegmentLength });
            settle(() => resolve({ kind: 'done', stream, result: effect.result }));
            break;
          }
          case 'redirect':
            stream.destroy(); // a redirect ends this TCP connection (G-01)
            settle(() => resolve({ kind: 'redirect', addresses: effect.addresses, permanent: effect.permanent }));
            break;
          case 'fail':
            security.dispose();
            settle(() => reject(effect.error));
            break;
        }
      }
    };
    stream.setHandlers({
      onPdu: (pdu) => step({ type: 'pdu', pdu }),
      onError: (err) => {
        security.dispose();
        settle(() => reject(err));
      },
      onClose: () => {
        security.dispose();
        settle(() => reject(new TransportError('CONNECTION_CLOSED_DURING_LOGIN', `target ${where} closed the connection during login`, { details: { portal: where } })));
      },
    });
    try {
      step({ type: 'start' });
    } catch (err) {
      reject(err instanceof IscsiError ? err : new ProtocolError('LOGIN_SEND_FAILED', String(err), { cause: err }));
    }
  });
}
