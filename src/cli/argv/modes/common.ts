/**
 * Pieces every mode builder shares: the common Command fields, portals with the mode's
 * default port, and error construction.
 */
import { cliError, prefixed } from '../messages.js';
import { opNames, type RawArgs } from '../raw-args.js';
import type { CliError, CommonFields, DeferredError, Portal, StateCheck } from '../types.js';

/** What a mode builder needs besides the collected values. */
export interface BuildContext {
  readonly prog: string;
}

/** The fields of CommonFields taken straight from the collected values. */
export function commonFields(raw: RawArgs, notices: readonly string[] = []): Omit<CommonFields, 'deferredError'> {
  return {
    json: raw.json,
    debugLevel: raw.debugLevel,
    notices: [...notices],
    printLevel: raw.printLevel,
    ops: opNames(raw.opMask),
    params: [...raw.params],
  };
}

/**
 * The portal, if a usable -p was given. `defaultPort` returns the port to use for the
 * collected one: node mode replaces only -1, discovery modes any negative value.
 */
export function portalOf(raw: RawArgs, defaultPort: (port: number) => number): Portal | undefined {
  if (raw.portalAddress === undefined || raw.portalAddress === null) return undefined;
  return { address: raw.portalAddress, port: defaultPort(raw.port), portGiven: raw.port, tpgt: raw.tpgt };
}

/** An error with iscsiadm-prefixed messages (plus lines already printed, e.g. notices). */
export function fail(ctx: BuildContext, raw: RawArgs, exitCode: number, messages: readonly string[], before: readonly string[] = []): CliError {
  return cliError(exitCode, [...before, ...messages.map((m) => prefixed(ctx.prog, m))], raw.json);
}

/** A deferred error: reported only after `after` passed. */
export function deferred(after: StateCheck, error: CliError): DeferredError {
  return { after, error };
}
