/**
 * `-p addr[:port][,tpgt]` exactly as iscsiadm 2.1.8 splits it (observed on Debian 12 by
 * creating node records from many spellings; reference §6.1):
 *
 * - A string containing '.' is split at its first ':' (port) whatever else it contains, so
 *   `1.2.3.4:3261,7` → 1.2.3.4 / 3261 / 7 and `[::ffff:1.2.3.4]:3300` → "[" / 0.
 * - Otherwise `[addr]...` takes the address between the brackets and looks for ':' after
 *   ']'; a missing ']' makes the whole portal absent (iscsiadm then behaves as without -p).
 * - Otherwise exactly one ':' separates a port (`host:3260`); two or more colons mean a bare
 *   IPv6 address without a port (`fe80::1%eth0`, `2001:db8::1,3`).
 * - The tpgt follows the first ',' after the port part (or in the whole string).
 * - Port and tpgt are strtoul() stored in a C int: `abc` → 0, `-1` → -1 (= not given),
 *   `4294967297` → 1.
 */
import { strtoulToInt } from './c-number.js';

/** What one `-p` does to iscsiadm's (ip, port, tpgt) variables. */
export interface PortalParse {
  /** The address, or null when the portal is unusable (unclosed '['). */
  readonly address: string | null;
  /** A port when one was present; undefined leaves the previous -p's port in place. */
  readonly port?: number;
  /** The tpgt, -1 when none was given; undefined when nothing was parsed (address null). */
  readonly tpgt?: number;
}

/**
 * Split one `-p` argument (see the module comment). Follows iscsiadm's in-place C parse:
 * it writes NULs at ']', at the port ':' and at the tpgt ',', and the address is what is left
 * from its start up to the first NUL.
 */
export function parsePortalArg(text: string): PortalParse {
  const cuts: number[] = [];
  let ipStart = 0;
  let from = 0;
  let mayHavePort = true;
  if (!text.includes('.')) {
    if (text.startsWith('[')) {
      const close = text.indexOf(']');
      if (close < 0) return { address: null };
      cuts.push(close);
      ipStart = 1;
      from = close + 1;
    } else {
      mayHavePort = text.split(':').length - 1 === 1;
    }
  }
  let port: number | undefined;
  if (mayHavePort) {
    const colon = text.indexOf(':', from);
    if (colon >= 0) {
      cuts.push(colon);
      port = strtoulToInt(text.slice(colon + 1));
      from = colon + 1;
    }
  }
  let tpgt = -1;
  const comma = text.indexOf(',', from);
  if (comma >= 0) {
    cuts.push(comma);
    tpgt = strtoulToInt(text.slice(comma + 1));
  }
  const end = Math.min(text.length, ...cuts.filter((c) => c >= ipStart));
  const address = text.slice(ipStart, end);
  return port === undefined ? { address, tpgt } : { address, port, tpgt };
}
