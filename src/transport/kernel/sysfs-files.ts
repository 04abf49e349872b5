/**
 * Small, failure-proof sysfs primitives: every read returns undefined (or [])
 * when the file is missing, unreadable (EACCES on CHAP attributes without
 * CAP_SYS_ADMIN) or refused (ENOTCONN on an unbound connection's address).
 */
import { readdir, readFile, realpath } from 'node:fs/promises';

/** Contents of a sysfs attribute without its trailing newline, or undefined. */
export async function readAttr(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  } catch {
    return undefined;
  }
}

/** Directory entries (names), or [] when the directory cannot be listed. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/** Regular-file entries of a directory (attributes), skipping subdirectories and links. */
export async function listFiles(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Canonical path (symlinks resolved), or undefined. */
export async function resolvePath(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/** A decimal integer attribute ("-1", "120"); anything else is undefined. */
export function toInt(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  return /^-?\d+$/.test(t) ? Number(t) : undefined;
}

/** A 0/1 (or Yes/No) attribute. */
export function toBool(v: string | undefined): boolean | undefined {
  const t = v?.trim();
  if (t === '1' || t === 'Yes') return true;
  if (t === '0' || t === 'No') return false;
  return undefined;
}

/** An unsigned 64-bit decimal attribute (transport handle). */
export function toU64(v: string | undefined): bigint | undefined {
  const t = v?.trim();
  return t !== undefined && /^\d+$/.test(t) ? BigInt(t) : undefined;
}

/** Numeric suffixes of entries named `<prefix><n>` (e.g. session3), sorted ascending. */
export function numberedEntries(names: readonly string[], prefix: string): number[] {
  const re = new RegExp(`^${prefix}(\\d+)$`);
  return names.flatMap((n) => {
    const m = re.exec(n);
    return m?.[1] === undefined ? [] : [Number(m[1])];
  }).sort((a, b) => a - b);
}
