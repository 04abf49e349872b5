/**
 * Result functions of negotiated keys (RFC 7143 §6.2.1, §6.2.2, §13 intro),
 * one entry per kind of the key table. Pure: values in wire form in and out.
 *
 * - list: the acceptor answers the first value of the proposer's list that it
 *   supports; unknown values are skipped; nothing acceptable -> Reject. An
 *   answer not among the offered values is a protocol error (§6.2.1).
 * - min / max: the selection may not exceed (min) / be lower than (max) the
 *   offer (§13 "Minimum" / "Maximum").
 * - and / or: the selection must be a possible result of AND / OR with the
 *   offer. Answers are optional only for AND receiving No and OR receiving Yes
 *   (§6.2.2); then the offer alone decides the outcome.
 */
import type { KeyDef, NegotiatedKind } from './keys.js';
import { TEXT_ERR, textError } from './text-errors.js';
import { formatBoolean, parseBoolean, parseList, parseNumber, parseNumeric } from './values.js';

/** Our reply to a peer proposal. */
export interface ProposalReply {
  /** Value to send back; undefined when no answer is required (§6.2.2). */
  answer?: string;
  /** Outcome in wire form; undefined when the key keeps its current/default value (we answered Reject). */
  result?: string;
}

/** Rules of one kind. */
export interface ResultFunction {
  /** Check the peer's answer to our offered value; returns the outcome. */
  checkAnswer(def: KeyDef, offered: string, answer: string, where: string): string;
  /** Choose our answer to the peer's proposal, given our preference (wire form). */
  reply(def: KeyDef, proposed: string, preference: string, where: string): ProposalReply;
  /** Outcome decided by our offer alone (AND offered No, OR offered Yes), else undefined. */
  forcedOutcome(offered: string): string | undefined;
}

const listFunction: ResultFunction = {
  checkAnswer(def, offered, answer, where) {
    if (!offered.split(',').includes(answer)) {
      throw textError(TEXT_ERR.UNOFFERED_VALUE, `${def.name}=${answer.slice(0, 64)} was not offered (${offered})`, where);
    }
    return answer;
  },
  reply(def, proposed, preference, where) {
    const acceptable = preference.split(',');
    const pick = parseList(proposed, where, def.maxLength).find((v) => acceptable.includes(v));
    return pick === undefined ? { answer: 'Reject' } : { answer: pick, result: pick };
  },
  forcedOutcome: () => undefined,
};

/** AND (absorbing No) or OR (absorbing Yes). */
function booleanFunction(absorbing: boolean): ResultFunction {
  const combine = (a: boolean, b: boolean): boolean => (absorbing ? a || b : a && b);
  return {
    checkAnswer(def, offered, answer, where) {
      const got = parseBoolean(answer, where);
      if (parseBoolean(offered, where) === absorbing && got !== absorbing) {
        throw textError(TEXT_ERR.NEGOTIATION_VIOLATION, `${def.name}=${answer} after we offered ${offered}`, where);
      }
      return formatBoolean(got);
    },
    reply(_def, proposed, preference, where) {
      const theirs = parseBoolean(proposed, where);
      if (theirs === absorbing) return { result: formatBoolean(theirs) };
      const result = formatBoolean(combine(parseBoolean(preference, where), theirs));
      return { answer: result, result };
    },
    forcedOutcome(offered) {
      return offered === formatBoolean(absorbing) ? offered : undefined;
    },
  };
}

/** Minimum (selection <= offer) or Maximum (selection >= offer). */
function numericFunction(kind: 'min' | 'max'): ResultFunction {
  const admissible = (selected: number, offered: number): boolean => (kind === 'min' ? selected <= offered : selected >= offered);
  return {
    checkAnswer(def, offered, answer, where) {
      const got = parseNumber(answer, rangeOf(def), where);
      if (!admissible(got, Number(offered))) {
        throw textError(TEXT_ERR.NEGOTIATION_VIOLATION, `${def.name}=${got} breaks ${kind} of our offer ${offered}`, where);
      }
      return String(got);
    },
    reply(def, proposed, preference, where) {
      const n = parseNumeric(proposed, where);
      const range = rangeOf(def);
      // §6.2.2: a proposal that is not admissible may be answered with Reject.
      if (n < BigInt(range.min) || n > BigInt(range.max)) return { answer: 'Reject' };
      const ours = Number(preference);
      const result = String(kind === 'min' ? Math.min(Number(n), ours) : Math.max(Number(n), ours));
      return { answer: result, result };
    },
    forcedOutcome: () => undefined,
  };
}

function rangeOf(def: KeyDef): { min: number; max: number } {
  return def.range ?? { min: 0, max: Number.MAX_SAFE_INTEGER };
}

/** The result function of each negotiated kind. */
export const RESULT_FUNCTIONS: Readonly<Record<NegotiatedKind, ResultFunction>> = {
  list: listFunction,
  and: booleanFunction(false),
  or: booleanFunction(true),
  min: numericFunction('min'),
  max: numericFunction('max'),
};
