/**
 * Events and post-recovery device handling of kernel-path sessions (iscsi_tcp and
 * offload), so that subscribers see them as they see usertcp sessions
 * (session-reporting.ts, docs/control-api.md §7):
 *
 * - every phase change is a `session.state` event with the `-P 1` words, the recovery
 *   state before/after (the supervisor vocabulary: IN_LOGIN, LOGGED_IN, REOPEN, FAILED,
 *   IN_LOGOUT, FREE), the step, what happens to I/O (the kernel holds it during a
 *   recovery until replacement_timeout = recovery_tmo), the trigger and the attempts;
 * - every failed login attempt (first login or re-login) is a log line with code, cause
 *   and action plus a `login.failed` event (login-diagnostics.ts);
 * - after a recovery, devices the kernel set `offline` (recovery_tmo expired while the
 *   connection was down) are set back to `running` and the host is scanned, as iscsid's
 *   session_online_devs does after a successful reopen: `running` >
 *   /sys/class/scsi_device/H:C:T:L/device/state, then `- - -` > host scan.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlEvent } from '../control/events.js';
import type { Logger } from '../shared/logger.js';
import type { Phase, Step, IoMode } from '../recovery/machine.js';
import type { SysfsReader } from '../transport/kernel/sysfs.js';
import { diagnoseLoginFailure, logLoginFailure } from './login-diagnostics.js';
import { KERNEL_WORDS } from './kernel-session-states.js';
import type { SessionPhase } from './session-states.js';

/** Recovery state, step and I/O mode of each kernel-session phase (login-wait: queued, no state yet). */
const RECOVERY_OF: Readonly<Record<SessionPhase, { state: Phase; step: Step; io: IoMode } | undefined>> = {
  'login-wait': undefined,
  login: { state: 'IN_LOGIN', step: 'login', io: 'hold' },
  'logged-in': { state: 'LOGGED_IN', step: 'none', io: 'pass' },
  reopen: { state: 'REOPEN', step: 'delay', io: 'hold' },
  failed: { state: 'FAILED', step: 'none', io: 'fail' },
  'logging-out': { state: 'IN_LOGOUT', step: 'none', io: 'fail' },
  closed: { state: 'FREE', step: 'none', io: 'fail' },
};

/** The supervisor's recovery state of a phase, for `session.list` (a queued login counts as IN_LOGIN). */
export function recoveryStateOf(phase: SessionPhase): Phase {
  return RECOVERY_OF[phase]?.state ?? 'IN_LOGIN';
}

/** What changed the phase (the `trigger` field; the supervisor's machine event names). */
export type KernelTrigger = 'start' | 'login-ok' | 'login-failed' | 'connection-lost' | 'delay-elapsed' | 'logout' | 'logout-done' | 'terminate' | 'target-gone';

export interface KernelEventSource {
  readonly log: Logger;
  where(): { sid: number; target: string; address: string; port: number; iface: string };
}

export class KernelEventReporter {
  constructor(private readonly ms: KernelEventSource, private readonly emit: (e: ControlEvent) => void) {}

  /** `session.state` for a phase change (nothing when the phase stays). */
  phase(from: SessionPhase, to: SessionPhase, trigger: KernelTrigger, attempts: number, cause?: string): void {
    if (from === to) return;
    const a = RECOVERY_OF[from];
    const b = RECOVERY_OF[to];
    this.emit({
      type: 'session.state', ...this.ms.where(), ...KERNEL_WORDS[to],
      ...(a === undefined ? {} : { from: a.state }),
      ...(b === undefined ? {} : { to: b.state, step: b.step, io: b.io }),
      trigger, attempts, ...(cause === undefined ? {} : { cause }),
    });
  }

  /** One failed login attempt: log line + `login.failed`. */
  loginFailed(err: unknown, attempt: number, final: boolean): void {
    const d = diagnoseLoginFailure(err);
    logLoginFailure(this.ms.log, d, attempt, final);
    this.emit({ type: 'login.failed', ...this.ms.where(), attempt, final, code: d.code, errno: d.errno, cause: d.cause, action: d.action });
  }
}

/**
 * Sets the session's `offline` SCSI devices back to `running` (iscsid session_online_devs)
 * and returns their H:C:T:L. Write failures are logged, never thrown.
 */
export async function onlineOfflineDevices(sysfs: SysfsReader, sysfsRoot: string, sid: number, log: Logger): Promise<string[]> {
  const done: string[] = [];
  for (const d of await sysfs.devices(sid)) {
    if (d.state?.trim() !== 'offline') continue;
    const path = join(sysfsRoot, 'class', 'scsi_device', d.hctl, 'device', 'state');
    try {
      await writeFile(path, 'running\n');
      done.push(d.hctl);
      log.info({ hctl: d.hctl }, `SCSI device ${d.hctl} was offline after the recovery: set to running`);
    } catch (err) {
      log.warn({ hctl: d.hctl, path, err: (err as NodeJS.ErrnoException).code }, `could not set SCSI device ${d.hctl} back to running`);
    }
  }
  return done;
}
