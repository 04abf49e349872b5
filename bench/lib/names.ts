/** Names shared by the benches and their helper processes (kept import-free for fast start-up). */

/** Initiator name our side uses in every bench. */
export const OUR_INITIATOR = 'iqn.2016-04.com.tsiscsi:bench';

/** IQN prefix of the targets the benches create in their private tgtd. */
export const TARGET_PREFIX = 'iqn.2024-01.org.tsiscsi.bench';
