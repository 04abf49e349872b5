/**
 * The logging surface the library layers use: a pino-compatible subset, injected so
 * that session/transport code never creates loggers itself. The daemon passes pino
 * child loggers bound to {sid, cid, target, portal}; tests pass `nullLogger`.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const nullLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => nullLogger,
};

/** Keys whose values are secrets: redacted everywhere (pino `redact` paths use these). */
export const SECRET_KEYS = ['password', 'password_in', 'secret', 'secretIn', 'passwordIn', 'CHAP_R', 'CHAP_C'] as const;
