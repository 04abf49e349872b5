/**
 * Shape of the key tables: one ordered table per record kind, listing every key exactly
 * as open-iscsi writes it (reference §5.3–§5.5, §8.1). The tables are data; parsing,
 * rendering, validation and the zod schemas are all derived from them.
 */

/** Record kinds with a key table. */
export type RecordKind = 'node' | 'iface' | 'sendtargets' | 'isns' | 'iscsid';

/**
 * Value types as open-iscsi's record parser knows them:
 * - `string`: free text (empty = unset; omitted from files, `<empty>` on screen)
 * - `password`: like string, masked as `********` on screen unless secrets are shown
 * - `int`: signed 32-bit decimal (`strtoul` semantics, so `-1` works)
 * - `u8`/`u16`/`u32`: unsigned decimal of that width
 * - `enum`: one of `values`, case-sensitive words (reference §5.2)
 * - `bool`: `Yes` / `No`
 * - `list`: comma list of words from `values` (node.session.auth.chap_algs)
 */
export type KeyType = 'string' | 'password' | 'int' | 'u8' | 'u16' | 'u32' | 'enum' | 'bool' | 'list';

/** Address-family block of the iface keys: only one of the two is printed (reference §5.4). */
export type IpBlock = 'ipv4' | 'ipv6';

/** Compiled-in default of a key. */
export type KeyDefault = string | number | boolean | readonly string[];

/** One key of a record. */
export interface KeyDef {
  /** The key exactly as written in record files, e.g. `node.conn[0].timeo.login_timeout`. */
  readonly key: string;
  readonly type: KeyType;
  /** Compiled-in default (a record read from a file starts from these). */
  readonly def: KeyDefault;
  /** Enum words (numeric order) or list items. */
  readonly values?: readonly string[];
  /** Read-only: used to look the record up; `-o update` refuses it. */
  readonly ro?: boolean;
  /** Hidden: never written nor shown (the derived `*.password_length` keys). */
  readonly hidden?: boolean;
  /** Part of the IPv4-only or IPv6-only iface block (file order, reference §5.3). */
  readonly block?: IpBlock;
  /** First open-iscsi version that writes this key (`HEAD` = unreleased). */
  readonly since?: string;
  /** Maximum number of list items (AUTH_CHAP_ALG_MAX_COUNT = 5). */
  readonly maxItems?: number;
}

/** One position of the `-o show` print order. */
export interface ShowItem {
  readonly key: string;
  /** Block membership in the print order (differs from file order for gateway/subnet_mask). */
  readonly block?: IpBlock;
}

/** Keys that belong to a record but may only be changed through another mode. */
export interface ModeLock {
  /** Key prefix, e.g. `iface.` inside node records. */
  readonly prefix: string;
  /** Keys under the prefix that stay updatable. */
  readonly except: readonly string[];
  /** The mode that owns these keys (for error messages). */
  readonly owner: string;
}

/** An ordered key table for one record kind. */
export interface KeyTable {
  readonly kind: RecordKind;
  /** Every key in file order (as open-iscsi writes record files). */
  readonly keys: readonly KeyDef[];
  /** Print order for `-o show` when it differs from file order. */
  readonly show?: readonly ShowItem[];
  /** Legacy key names accepted on read and update, mapped to the current key. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Keys owned by another mode (node records: iface.* except transport_name). */
  readonly modeLock?: ModeLock;
  /** Whether the record carries the iface IPv4/IPv6 blocks. */
  readonly ipBlocks?: boolean;
}

type NumericType = 'int' | 'u8' | 'u16' | 'u32';

/** The TypeScript value type of one key definition. */
export type TypedValue<D extends KeyDef> = D['type'] extends NumericType
  ? number
  : D['type'] extends 'bool'
    ? boolean
    : D['type'] extends 'list'
      ? string[]
      : D['type'] extends 'enum'
        ? D extends { readonly values: readonly (infer V extends string)[] }
          ? V
          : string
        : string;

/** A typed record: every non-hidden key of a table, flat, keyed by the open-iscsi key name. */
export type RecordOf<T extends readonly KeyDef[]> = {
  -readonly [D in T[number] as D extends { readonly hidden: true } ? never : D['key']]: TypedValue<D>;
};
