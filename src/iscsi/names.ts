/**
 * iSCSI names (RFC 7143 §4.2.7; stringprep profile RFC 3722).
 *
 * An iSCSI name is `<type>.<rest>`:
 * - `iqn.yyyy-mm.<reversed domain>[:<anything>]` (§4.2.7.4): four year digits, two month
 *   digits 01..12, a dot, a non-empty reversed domain name, optional `:`-prefixed part;
 * - `eui.` + 16 hex digits (EUI-64, §4.2.7.5);
 * - `naa.` + 16 or 32 hex digits (64- or 128-bit NAA, §4.2.7.6).
 *
 * The UTF-8 encoding is at most 223 bytes (§4.2.7.1, §4.2.7.2). Names we are configured
 * with go through {@link normalizeName} and {@link validateName}; names a target sends us
 * (SendTargets) are kept byte for byte (they are compared byte for byte, §4.2.7.2) and only
 * checked leniently with {@link isValidTargetNameFromPeer}.
 */
import { ConfigError } from '../shared/errors.js';

/** Longest iSCSI name in UTF-8 bytes (§4.2.7.1). */
export const MAX_NAME_BYTES = 223;

/** open-iscsi's iscsi-iname default prefix is iqn.2016-04.com.open-iscsi; this is ours. */
export const DEFAULT_INITIATOR_PREFIX = 'iqn.2016-04.com.tsiscsi';

/** The three name types of §4.2.7.3. */
export type IscsiNameType = 'iqn' | 'eui' | 'naa';

/** A structurally parsed iSCSI name. */
export type ParsedName =
  | {
      type: 'iqn';
      /** The date code's year and month (`yyyy-mm`). */
      year: number;
      month: number;
      /** Reversed domain name of the naming authority, e.g. `com.example`. */
      authority: string;
      /** The part after the first `:`, if any. */
      unique?: string;
    }
  | { type: 'eui'; /** 16 hex digits as written. */ hex: string }
  | { type: 'naa'; /** 16 or 32 hex digits as written. */ hex: string };

/** Why a name was refused; stable values for `details.reason`. */
export type NameProblem =
  | 'EMPTY'
  | 'TOO_LONG'
  | 'UPPERCASE'
  | 'PROHIBITED_CHAR'
  | 'NOT_NORMALIZED'
  | 'UNKNOWN_TYPE'
  | 'IQN_DATE'
  | 'IQN_AUTHORITY'
  | 'EUI_HEX'
  | 'NAA_HEX';

/**
 * RFC 3454 table B.1 ("commonly mapped to nothing"): soft hyphen, combining grapheme
 * joiner, Mongolian separators, zero-width space/joiners, word joiner, variation
 * selectors, zero-width no-break space. RFC 3722 §4 applies it.
 */
const MAPPED_TO_NOTHING = /[\u00ad\u034f\u1806\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/gu;

/** Non-ASCII characters that may appear in a prepared name: lowercase/caseless letters, marks, digits. */
const NON_ASCII_ALLOWED = /^[\p{Ll}\p{Lm}\p{Lo}\p{M}\p{Nd}\p{Nl}\p{No}]$/u;
const NON_ASCII_UPPER = /^[\p{Lu}\p{Lt}]$/u;
const HEX = /^[0-9a-fA-F]+$/;

/**
 * Prepare a configured name per the RFC 3722 profile: map table B.1 to nothing, map case
 * (table B.2), normalize to NFKC. For ASCII this is exact (A-Z become a-z); for other
 * scripts the B.2 case folding is approximated by Unicode lowercase mapping. It does not trim
 * or remove prohibited characters: {@link validateName} refuses those.
 */
export function normalizeName(name: string): string {
  return name.replace(MAPPED_TO_NOTHING, '').toLowerCase().normalize('NFKC');
}

/**
 * Refuse a name that must not go on the wire as an InitiatorName/TargetName we chose
 * . Call it on the output of {@link normalizeName}: uppercase is refused.
 * `where` names the setting (e.g. `node.name`, `InitiatorName`) for the message.
 * @throws ConfigError `INVALID_ISCSI_NAME` with `details.reason` (a {@link NameProblem}).
 */
export function validateName(name: string, where: string): void {
  const problem = checkCharacters(name) ?? structureProblem(name);
  if (problem) throw nameError(problem.reason, where, name, problem.info);
}

/**
 * Parse the structure of a name (type, iqn date and authority, eui/naa hex digits). Hex
 * digits may be upper or lower case, so names received from a target parse as well.
 * @throws ConfigError `INVALID_ISCSI_NAME`.
 */
export function parseName(name: string): ParsedName {
  const problem = structureProblem(name);
  if (problem) throw nameError(problem.reason, 'iSCSI name', name, problem.info);
  return parseStructure(name)!;
}

/**
 * Lenient check for a TargetName received from a target: keep it byte for byte, even
 * with uppercase hex (`eui.02004567A425678D`). Accepts 1..223 UTF-8 bytes without control
 * characters, whitespace or `/` (prohibited by RFC 3722 §6.2 and unsafe in record paths).
 */
export function isValidTargetNameFromPeer(name: string): boolean {
  if (name.length === 0 || Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return false;
  return !/[\u0000-\u001f\u007f-\u009f\s/]/u.test(name);
}

/**
 * A new InitiatorName like open-iscsi's `iscsi-iname`: `<prefix>:<12 lowercase hex digits>`
 * from six random bytes (zero-padded, so always 12 digits).
 * @throws ConfigError `INVALID_ISCSI_NAME` when the prefix makes an invalid name.
 */
export function generateInitiatorName(prefix: string = DEFAULT_INITIATOR_PREFIX, random: (n: number) => Buffer): string {
  const bytes = random(6);
  if (bytes.length < 6) throw new ConfigError('RANDOM_TOO_SHORT', 'random source returned fewer than 6 bytes');
  const name = `${prefix}:${bytes.subarray(0, 6).toString('hex')}`;
  validateName(name, 'generated InitiatorName prefix');
  return name;
}

interface Problem {
  reason: NameProblem;
  info?: Record<string, unknown>;
}

/** Length, character repertoire (RFC 3722 §6, §6.1, §6.2) and normalization (§4.2.7.2). */
function checkCharacters(name: string): Problem | undefined {
  if (name.length === 0) return { reason: 'EMPTY' };
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) return { reason: 'TOO_LONG', info: { bytes, max: MAX_NAME_BYTES } };
  let offset = 0;
  for (const ch of name) {
    const reason = characterProblem(ch);
    if (reason) return { reason, info: { offset, char: codePointLabel(ch) } };
    offset += ch.length;
  }
  if (name.normalize('NFKC') !== name || name.toLowerCase() !== name) return { reason: 'NOT_NORMALIZED' };
  return undefined;
}

function characterProblem(ch: string): NameProblem | undefined {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) {
    // Allowed ASCII: a-z 0-9 - . : (RFC 3722 §1, §6.2).
    if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x2d || cp === 0x2e || cp === 0x3a) return undefined;
    return cp >= 0x41 && cp <= 0x5a ? 'UPPERCASE' : 'PROHIBITED_CHAR';
  }
  if (cp === 0x3002) return 'PROHIBITED_CHAR'; // ideographic full stop (RFC 3722 §6.1)
  if (NON_ASCII_UPPER.test(ch)) return 'UPPERCASE';
  return NON_ASCII_ALLOWED.test(ch) ? undefined : 'PROHIBITED_CHAR';
}

function structureProblem(name: string): Problem | undefined {
  const type = name.slice(0, 4);
  if (type === 'iqn.') return iqnProblem(name);
  if (type === 'eui.') return name.length === 20 && HEX.test(name.slice(4)) ? undefined : { reason: 'EUI_HEX' };
  if (type === 'naa.') {
    const hex = name.slice(4);
    return (hex.length === 16 || hex.length === 32) && HEX.test(hex) ? undefined : { reason: 'NAA_HEX' };
  }
  return { reason: 'UNKNOWN_TYPE' };
}

const IQN_DATE = /^iqn\.(\d{4})-(\d{2})\./;

function iqnProblem(name: string): Problem | undefined {
  const m = IQN_DATE.exec(name);
  if (!m) return { reason: 'IQN_DATE' };
  const month = Number(m[2]);
  if (month < 1 || month > 12) return { reason: 'IQN_DATE' };
  const rest = name.slice(m[0].length);
  const colon = rest.indexOf(':');
  const authority = colon < 0 ? rest : rest.slice(0, colon);
  // A reversed domain name: one or more non-empty dot-separated labels.
  if (authority.length === 0 || authority.split('.').some((label) => label.length === 0)) return { reason: 'IQN_AUTHORITY' };
  return undefined;
}

function parseStructure(name: string): ParsedName | undefined {
  const type = name.slice(0, 3);
  if (type === 'eui' || type === 'naa') return { type, hex: name.slice(4) };
  const m = IQN_DATE.exec(name);
  if (!m) return undefined;
  const rest = name.slice(m[0].length);
  const colon = rest.indexOf(':');
  const base = { type: 'iqn' as const, year: Number(m[1]), month: Number(m[2]) };
  return colon < 0 ? { ...base, authority: rest } : { ...base, authority: rest.slice(0, colon), unique: rest.slice(colon + 1) };
}

function codePointLabel(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function nameError(reason: NameProblem, where: string, name: string, info: Record<string, unknown> = {}): ConfigError {
  const what: Record<NameProblem, string> = {
    EMPTY: 'is empty',
    TOO_LONG: `is longer than ${MAX_NAME_BYTES} bytes of UTF-8`,
    UPPERCASE: 'contains uppercase characters (normalize it to lowercase first)',
    PROHIBITED_CHAR: 'contains a character not allowed in iSCSI names (ASCII allows only a-z 0-9 - . :)',
    NOT_NORMALIZED: 'is not in the normalized form of the iSCSI stringprep profile',
    UNKNOWN_TYPE: 'does not start with iqn., eui. or naa.',
    IQN_DATE: 'has no valid iqn. date code (yyyy-mm with month 01-12, then a dot)',
    IQN_AUTHORITY: 'has no valid reversed domain name after the iqn. date',
    EUI_HEX: 'is not eui. followed by exactly 16 hex digits',
    NAA_HEX: 'is not naa. followed by exactly 16 or 32 hex digits',
  };
  return new ConfigError('INVALID_ISCSI_NAME', `${where}: iSCSI name ${JSON.stringify(name)} ${what[reason]}`, {
    details: { reason, where, name, ...info },
  });
}
