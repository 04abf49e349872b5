/**
 * Stable error codes of the text layer (codec, values, negotiation). Tests
 * assert on these codes, never on message text. Everything that a peer can
 * provoke is a {@link ProtocolError}.
 */
import { ProtocolError } from '../../shared/errors.js';

export const TEXT_ERR = {
  // codec (RFC 7143 §6.1 framing of key=value data)
  /** Logical text does not end with a NUL delimiter. */
  NOT_TERMINATED: 'TEXT_NOT_TERMINATED',
  /** A key=value item without '='. */
  MISSING_EQUALS: 'TEXT_MISSING_EQUALS',
  /** Empty key, key > 63 bytes, or key with characters outside the standard-label set. */
  BAD_KEY: 'TEXT_BAD_KEY',
  /** Key or value bytes are not valid UTF-8. */
  BAD_UTF8: 'TEXT_BAD_UTF8',
  /** Reassembled text exceeds the configured maximum. */
  TOO_LONG: 'TEXT_TOO_LONG',
  // values (§6.1 value grammar)
  VALUE_SYNTAX: 'VALUE_SYNTAX',
  VALUE_TOO_LONG: 'VALUE_TOO_LONG',
  VALUE_OUT_OF_RANGE: 'VALUE_OUT_OF_RANGE',
  // negotiation (§6.2, §6.2.1, §6.2.2, §6.3, §13)
  /** The answer violates the key's result function (Min/Max/AND/OR), §6.2.2, §13. */
  NEGOTIATION_VIOLATION: 'NEGOTIATION_VIOLATION',
  /** List answer not among the offered values, §6.2.1. */
  UNOFFERED_VALUE: 'UNOFFERED_VALUE',
  /** NotUnderstood for a key RFC 7143 defines, §6.2. */
  BAD_NOT_UNDERSTOOD: 'BAD_NOT_UNDERSTOOD',
  /** Reject/Irrelevant/NotUnderstood used as a proposed or declared value, §6.2. */
  RESERVED_VALUE_MISUSE: 'RESERVED_VALUE_MISUSE',
  /** Key not allowed in the stage of the response, §6.3 / §12 (D-13), or FFP-only key during login. */
  KEY_NOT_ALLOWED_IN_STAGE: 'KEY_NOT_ALLOWED_IN_STAGE',
  /** Key the target may not send here (initiator-only key, leading-only key on a non-leading login). */
  KEY_NOT_ALLOWED: 'KEY_NOT_ALLOWED',
  /** Key declared or negotiated twice in one login, §6.3 (D-16). */
  DUPLICATE_KEY: 'DUPLICATE_KEY',
  /** A T=1 response proposes a key that needs another request, §6.3 (D-14). */
  PROPOSAL_IN_FINAL_RESPONSE: 'PROPOSAL_IN_FINAL_RESPONSE',
  /** The outcome (after Reject/Irrelevant) is not acceptable to our policy, §6.2 (E-11). */
  UNACCEPTABLE_RESULT: 'UNACCEPTABLE_RESULT',
  /** Integrity rule between keys broken (FirstBurstLength > MaxBurstLength, §13.14; §13.19). */
  INTEGRITY_VIOLATION: 'INTEGRITY_VIOLATION',
  // local misuse (not ProtocolError)
  /** result() asked for before the negotiation completed (E-19). */
  NEGOTIATION_INCOMPLETE: 'NEGOTIATION_INCOMPLETE',
  /** Our own offer is invalid (out of range, ERL > 0, unknown digest). */
  OFFER_INVALID: 'OFFER_INVALID',
  /** Our own key or value cannot be encoded. */
  ENCODE_INVALID: 'TEXT_ENCODE_INVALID',
} as const;

export type TextErrorCode = (typeof TEXT_ERR)[keyof typeof TEXT_ERR];

/** Build a ProtocolError naming where the offending item was found. */
export function textError(code: TextErrorCode, message: string, where: string): ProtocolError {
  return new ProtocolError(code, `${where}: ${message}`, { where });
}
