/**
 * Shared pieces of the offload host methods (`-m host -H N -C chap|flashnode|stats`,
 * reference §6.7): host number, table indexes and `-n name -v value` pairs.
 */
import { z } from 'zod';

/** SCSI host number of the HBA port (`-H N`). */
export const hostNo = z.number().int().min(0).max(0xffffffff);
/** `-n name -v value` pairs in command-line order. */
export const nameValues = z.array(z.tuple([z.string().min(1).max(127), z.string().max(4096)])).max(64);
/** A record entry in print order (values of secrets are `********` unless showSecrets). */
export const hostRecordEntry = z.object({ key: z.string(), value: z.string(), secret: z.boolean() });
