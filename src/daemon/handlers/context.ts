/**
 * What method handlers work with: the record store, the session manager and the
 * daemon's current configuration, plus `bind`, which turns a method spec (name +
 * schemas, src/control/methods) into a registered method with its handler.
 */
import type { ZodType, input as ZodInput, output as ZodOutput } from 'zod';
import type { ControlEvent } from '../../control/events.js';
import { defineMethod, type AnyMethod, type CallContext } from '../../control/method.js';
import type { MethodSchema } from '../../control/methods/spec.js';
import type { IscsidConf, RecordStore, Resolver } from '../../db/index.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { DaemonPaths } from '../../shared/paths.js';
import type { Transport } from '../../transport/types.js';
import type { IfaceProfiles } from '../profiles.js';
import type { SessionManager } from '../session-manager.js';

/** The initiator identity in use. */
export interface InitiatorIdentity {
  name: string;
  alias?: string;
}

/** Everything handlers need from the daemon. */
export interface HandlerContext {
  readonly store: RecordStore;
  readonly sessions: SessionManager;
  /** Default recovery profiles of ifaces. */
  readonly profiles: IfaceProfiles;
  readonly log: Logger;
  readonly clock: Clock;
  readonly transport: Transport;
  readonly paths: DaemonPaths;
  readonly resolve: Resolver;
  /** Pause between SendTargets login attempts (discovery.sendtargets.reopen_max). */
  readonly discoveryRetryDelayMs: number;
  /** The kernel data paths (offload SendTargets, kernel-discovery.ts); undefined when off. */
  readonly kernel?: import('../kernel-path.js').KernelPath;
  emit(event: ControlEvent): void;
  initiator(): InitiatorIdentity;
  setInitiator(next: InitiatorIdentity): void;
  iscsid(): IscsidConf;
  /** A fresh ISID for an unnamed discovery session (never shared by two at once, B-14). */
  discoveryIsid(): Buffer;
  /** Ask the process to stop (resolves Daemon.stopRequested after the reply). */
  requestStop(): void;
  status(): unknown;
}

/** Bind a handler to a method spec. */
export function bind<P extends ZodType, R extends ZodType>(
  spec: MethodSchema<P, R>,
  handler: (params: ZodOutput<P>, call: CallContext) => ZodInput<R> | Promise<ZodInput<R>>,
): AnyMethod {
  return defineMethod({ name: spec.name, description: spec.description, params: spec.params, result: spec.result, handler });
}
