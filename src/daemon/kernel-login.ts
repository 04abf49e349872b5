/**
 * Logins of kernel-path sessions (issue 6 §2, §3):
 *
 * - first login: on our own TCP socket (session/login-runner.ts establish(), the usertcp
 *   transport), retried within initial_login_retry_max × login_timeout as the usertcp
 *   supervisor does (reference §7.2); the socket is then handed to the kernel;
 * - re-login after a connection error: the new socket is bound to the kernel connection
 *   first and the login PDUs go through SEND_PDU / RECV_PDU (kernel-login-link.ts), as
 *   iscsid does, so the kernel supplies the session's CmdSN.
 *
 * Both offer what the transport caps allow (transports.ts maskOffer, reference §1.7).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { IscsiError } from '../shared/errors.js';
import type { LoginResult } from '../iscsi/login/machine.js';
import { defaultOffer } from '../iscsi/text/negotiate.js';
import { classify, initialLoginMayRetry, recoveryConfig } from '../recovery/policy.js';
import { establish, type Established, type LoginRunOptions } from '../session/login-runner.js';
import type { KernelTcpDriver } from '../transport/kernel/driver.js';
import { KernelLoginLink } from '../transport/kernel/kernel-login-link.js';
import type { SessionParamInput } from '../transport/kernel/set-params.js';
import { maskOffer } from '../transport/kernel/transports.js';
import { PduStream } from '../transport/pdu-stream.js';
import type { Portal, Transport } from '../transport/types.js';
import type { NodeKey, NodeRecord } from '../db/index.js';
import type { RecordSessionConfig } from './session-options.js';

export interface KernelLoginContext {
  key: NodeKey;
  record: Readonly<NodeRecord>;
  config: RecordSessionConfig;
  transport: Transport;
  clock: Clock;
  log: Logger;
  random?: (n: number) => Buffer;
}

/** establish() options for this session on `transport`, with the offer masked by `caps`. */
export function loginOptions(c: KernelLoginContext, caps: number, transport: Transport, portal?: Portal): LoginRunOptions {
  const cfg = c.config;
  const offer = maskOffer({ ...defaultOffer('Normal'), ...cfg.offer }, caps);
  for (const a of offer.adjustments) c.log.debug({ adjustment: a }, 'offer adjusted to the kernel transport caps');
  return {
    transport,
    portal: portal ?? { host: c.key.address, port: c.key.port },
    login: {
      initiatorName: cfg.initiatorName,
      ...(cfg.initiatorAlias ? { initiatorAlias: cfg.initiatorAlias } : {}),
      targetName: cfg.targetName,
      sessionType: 'Normal',
      isid: cfg.isid,
      tsih: 0,
      cid: 0,
      itt: 0,
      cmdSN: cfg.initialCmdSN >>> 0,
      expStatSN: 0,
      ...(cfg.tpgt >= 0 ? { expectedTpgt: cfg.tpgt } : {}),
    },
    ...(cfg.chap ? { chap: cfg.chap } : {}),
    offer: offer.offer,
    loginTimeoutMs: cfg.timeouts.login * 1000,
    ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}),
    random: c.random ?? randomBytes,
    clock: c.clock,
    logger: c.log,
  };
}

/** Called for every failed login attempt; `final` when no retry follows. */
export type LoginFailed = (err: unknown, attempt: number, final: boolean) => void;

/** First login on our socket, retried after retryable failures until the initial-login deadline. */
export function firstLogin(c: KernelLoginContext, caps: number, retryDelayMs: number, cancelled: () => boolean, onFailed?: LoginFailed): Promise<Established> {
  return retryFirstLogin(c, retryDelayMs, cancelled, () => establish(loginOptions(c, caps, c.transport)), onFailed);
}

/**
 * Runs `attempt` until it works, retrying retryable failures within
 * initial_login_retry_max × login_timeout (reference §7.2), `retryDelayMs` apart.
 */
export async function retryFirstLogin<T>(
  c: Pick<KernelLoginContext, 'config' | 'clock' | 'log'>, retryDelayMs: number, cancelled: () => boolean, attempt: () => Promise<T>, onFailed?: LoginFailed,
): Promise<T> {
  const cfg = recoveryConfig({ ...c.config.recovery });
  const started = c.clock.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const verdict = classify(err);
      const e = err instanceof IscsiError ? err : undefined;
      const final = !verdict.retry || cancelled() || !initialLoginMayRetry(started, c.clock.now() + retryDelayMs, cfg);
      if (onFailed) onFailed(err, n, final);
      else c.log.warn({ attempt: n, code: e?.code, errno: e?.errno, cause: e?.message ?? String(err) }, 'kernel-path login attempt failed');
      if (final) throw err;
      await sleep(c.clock, retryDelayMs);
      if (cancelled()) throw err;
    }
  }
}

/** The login through the kernel on a connection just bound with BIND_CONN (recovery). */
export async function loginThroughKernel(c: KernelLoginContext, driver: KernelTcpDriver, sid: number, cid: number, caps: number): Promise<LoginResult> {
  const link = new KernelLoginLink(driver, sid, cid);
  const stream = new PduStream(link);
  const viaKernel: Transport = { name: 'kernel-tcp', connect: () => Promise.resolve(stream) };
  try {
    const est = await establish({ ...loginOptions(c, caps, viaKernel), maxRedirects: 0 });
    return est.result;
  } finally {
    link.destroy();
  }
}

/** The pre-login SET_PARAM input from the record (set-params.ts sessionSetParams). */
export function paramInput(c: Pick<KernelLoginContext, 'key' | 'record' | 'config'>): SessionParamInput {
  const r = c.record;
  const t = c.config.timeouts;
  return {
    targetName: c.config.targetName,
    persistentAddress: c.key.address,
    persistentPort: c.key.port,
    replacementTimeout: t.recovery,
    ...(c.config.chap ? {
      username: r['node.session.auth.username'], password: r['node.session.auth.password'],
      usernameIn: r['node.session.auth.username_in'], passwordIn: r['node.session.auth.password_in'],
    } : {}),
    fastAbort: r['node.session.iscsi.FastAbort'],
    abortTimeout: t.abort ?? 15,
    luResetTimeout: t.lunReset ?? 30,
    tgtResetTimeout: t.targetReset ?? 30,
    noopOutTimeout: t.noopOutTimeout,
    noopOutInterval: t.noopOutInterval,
    ifaceName: c.key.iface,
    initiatorName: c.config.initiatorName,
    discovery: false,
  };
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, Math.max(0, ms));
  });
}
