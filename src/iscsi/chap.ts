/**
 * CHAP for iSCSI (RFC 1994; RFC 7143 §12.1.3, §9.2.1): algorithms, the response function,
 * configuration checks and the registry of challenges we issued (reflection detection).
 *
 * Algorithm numbers are the IANA "PPP Authentication Algorithms" codepoints as open-iscsi
 * and the Linux LIO target use them: 5 MD5, 6 SHA-1, 7 SHA-256, 8 SHA3-256. RFC 7143 only
 * mandates 5. Note that tgt (tgtd) uses 7 for SHA-1 (checklist H-22).
 */
import { createHash } from 'node:crypto';
import { ConfigError, IscsiError, ISCSI_ERR } from '../shared/errors.js';

/** CHAP_A values we implement. */
export type ChapAlgorithm = 5 | 6 | 7 | 8;

interface AlgorithmInfo {
  /** node:crypto hash name. */
  hash: string;
  /** Digest (CHAP_R) length in bytes. */
  length: number;
  /** The name open-iscsi's `chap_algs` setting uses. */
  name: string;
}

/** Per-algorithm facts. */
export const CHAP_ALGORITHMS: Readonly<Record<ChapAlgorithm, AlgorithmInfo>> = {
  5: { hash: 'md5', length: 16, name: 'MD5' },
  6: { hash: 'sha1', length: 20, name: 'SHA1' },
  7: { hash: 'sha256', length: 32, name: 'SHA256' },
  8: { hash: 'sha3-256', length: 32, name: 'SHA3-256' },
};

/** Default CHAP_A offer: MD5 alone, which old targets need (S-07). */
export const DEFAULT_CHAP_ALGORITHMS: readonly ChapAlgorithm[] = [5];

/** Secrets shorter than this (96 bits) are refused unless explicitly allowed (§9.2.1, H-21). */
export const MIN_CHAP_SECRET_BYTES = 12;

/** Whether `n` is a CHAP_A value we implement. */
export function isChapAlgorithm(n: number): n is ChapAlgorithm {
  return n === 5 || n === 6 || n === 7 || n === 8;
}

/**
 * The CHAP response (RFC 1994 §4.1): H(identifier as one octet || secret || challenge),
 * where challenge is the decoded challenge bytes, not their text form (H-11).
 * @throws IscsiError `CHAP_ALGORITHM_UNAVAILABLE` when the hash is disabled (e.g. MD5 under FIPS).
 */
export function chapResponse(alg: ChapAlgorithm, id: number, secret: Buffer, challenge: Buffer): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 255) {
    throw new IscsiError('CHAP_ID_RANGE', `CHAP identifier ${id} is not one octet`, { errno: ISCSI_ERR.INTERNAL });
  }
  const info = CHAP_ALGORITHMS[alg];
  let hash;
  try {
    hash = createHash(info.hash);
  } catch (cause) {
    throw new IscsiError('CHAP_ALGORITHM_UNAVAILABLE', `CHAP algorithm ${alg} (${info.name}) is not available in this Node.js/OpenSSL`, {
      errno: ISCSI_ERR.LOGIN_AUTH_FAILED,
      cause,
    });
  }
  return hash.update(Buffer.of(id)).update(secret).update(challenge).digest();
}

/** CHAP credentials of one node or discovery record. Secrets never go into errors or logs. */
export interface ChapConfig {
  /** CHAP_N we send (initiator -> target); may differ from the InitiatorName (H-12). */
  username: string;
  /** Secret for authenticating the initiator to the target. */
  secret: string;
  /** Name the target must present in mutual CHAP (both or neither of usernameIn/secretIn). */
  usernameIn?: string;
  /** Secret for authenticating the target (mutual CHAP). */
  secretIn?: string;
  /** CHAP_A offer in order of preference; default [5] (S-07). */
  algorithms?: ChapAlgorithm[];
  /**
   * Accept secrets shorter than 12 bytes (only sensible under IPsec, RFC 7143 §9.2.1).
   * open-iscsi merely warns about them; we refuse them by default.
   */
  allowShortSecret?: boolean;
}

/**
 * Check CHAP credentials before any connection uses them.
 * @throws ConfigError with codes `CHAP_USERNAME_MISSING`, `CHAP_USERNAME_INVALID`,
 * `CHAP_SECRET_MISSING`, `CHAP_SECRET_TOO_SHORT` (H-21), `CHAP_MUTUAL_INCOMPLETE`,
 * `CHAP_SAME_SECRET` (H-16), `CHAP_ALGORITHMS_INVALID`; `details.field` names the setting.
 */
export function validateChapConfig(cfg: ChapConfig): void {
  checkUsername(cfg.username, 'username');
  checkSecret(cfg.secret, 'secret', cfg.allowShortSecret === true);
  const hasUserIn = cfg.usernameIn !== undefined && cfg.usernameIn !== '';
  const hasSecretIn = cfg.secretIn !== undefined && cfg.secretIn !== '';
  if (hasUserIn !== hasSecretIn) {
    const field = hasUserIn ? 'secretIn' : 'usernameIn';
    throw new ConfigError('CHAP_MUTUAL_INCOMPLETE', `mutual CHAP needs both usernameIn and secretIn; ${field} is missing`, { details: { field } });
  }
  if (hasUserIn) {
    checkUsername(cfg.usernameIn!, 'usernameIn');
    checkSecret(cfg.secretIn!, 'secretIn', cfg.allowShortSecret === true);
    if (cfg.secretIn === cfg.secret) {
      throw new ConfigError('CHAP_SAME_SECRET', 'the same CHAP secret is configured for both directions (RFC 7143 §9.2.1)', {
        details: { field: 'secretIn' },
      });
    }
  }
  checkAlgorithms(cfg.algorithms);
}

/** Whether the configuration asks the target to authenticate itself. */
export function isMutual(cfg: ChapConfig): boolean {
  return cfg.usernameIn !== undefined && cfg.usernameIn !== '' && cfg.secretIn !== undefined && cfg.secretIn !== '';
}

function checkUsername(name: string, field: string): void {
  if (name.length === 0) throw new ConfigError('CHAP_USERNAME_MISSING', `CHAP ${field} is empty`, { details: { field } });
  // CHAP_N is a text string in a key=value pair: no NUL delimiter, at most 255 bytes (§6.1).
  if (name.includes('\u0000') || Buffer.byteLength(name, 'utf8') > 255) {
    throw new ConfigError('CHAP_USERNAME_INVALID', `CHAP ${field} contains NUL or is longer than 255 bytes`, { details: { field } });
  }
}

function checkSecret(secret: string, field: string, allowShort: boolean): void {
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes === 0) throw new ConfigError('CHAP_SECRET_MISSING', `CHAP ${field} is empty`, { details: { field } });
  if (bytes < MIN_CHAP_SECRET_BYTES && !allowShort) {
    throw new ConfigError('CHAP_SECRET_TOO_SHORT', `CHAP ${field} is ${bytes} bytes; at least ${MIN_CHAP_SECRET_BYTES} (96 bits) are required without IPsec (RFC 7143 §9.2.1)`, {
      details: { field, bytes, min: MIN_CHAP_SECRET_BYTES },
    });
  }
}

function checkAlgorithms(algs: readonly number[] | undefined): void {
  if (algs === undefined) return;
  const problem =
    algs.length === 0 ? 'empty' : algs.find((a) => !isChapAlgorithm(a)) !== undefined ? 'unknown' : new Set(algs).size !== algs.length ? 'duplicate' : undefined;
  if (problem) {
    throw new ConfigError('CHAP_ALGORITHMS_INVALID', `CHAP algorithm list ${JSON.stringify(algs)} is ${problem} (allowed: 5, 6, 7, 8)`, {
      details: { field: 'algorithms', reason: problem },
    });
  }
}

/**
 * Challenges we issued on connections that are still open, shared by all connections of the
 * daemon (RFC 7143 §9.2.1 reflection attack, H-17). Counted, so two connections that happen
 * to hold the same value do not release each other's entry.
 */
export class ChallengeRegistry {
  readonly #counts = new Map<string, number>();

  add(c: Buffer): void {
    const k = c.toString('hex');
    this.#counts.set(k, (this.#counts.get(k) ?? 0) + 1);
  }

  delete(c: Buffer): void {
    const k = c.toString('hex');
    const n = this.#counts.get(k) ?? 0;
    if (n <= 1) this.#counts.delete(k);
    else this.#counts.set(k, n - 1);
  }

  has(c: Buffer): boolean {
    return this.#counts.has(c.toString('hex'));
  }

  /** Number of distinct challenges held. */
  get size(): number {
    return this.#counts.size;
  }
}
