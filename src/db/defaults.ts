/**
 * Defaults for *new* records: compiled-in defaults overlaid with iscsid.conf (reference
 * §5.2, §8.1). Records read from files start from the compiled-in defaults instead.
 */
import type { IsnsRecord, NodeRecord, SendTargetsRecord } from './keys/index.js';
import { isnsDefaults, nodeDefaults, sendTargetsDefaults } from './schema.js';

/** Starting values of new node and discovery records. */
export interface RecordDefaults {
  readonly node: Readonly<NodeRecord>;
  readonly sendtargets: Readonly<SendTargetsRecord>;
  readonly isns: Readonly<IsnsRecord>;
}

/** The compiled-in defaults (what a missing iscsid.conf gives). */
export function compiledRecordDefaults(): RecordDefaults {
  return { node: nodeDefaults(), sendtargets: sendTargetsDefaults(), isns: isnsDefaults() };
}
