/**
 * The host CHAP table of an offload HBA (qla4xxx), reference §3.2/§3.3/§6.7, as
 * `iscsiadm -m host -H N -C chap` drives it:
 *
 * - GET_CHAP {host_no @16, num_entries @20, chap_tbl_idx u16 @24}: the kernel
 *   multicasts the uevent (num_entries = valid entries) + num_entries × 524-byte
 *   `iscsi_chap_rec`. iscsiadm asks for MAX_CHAP_BUF_SZ / 524 = 7 entries per page,
 *   starting at index 0 and then at (last index + 1), until a page comes back short.
 * - SET_CHAP: nlattr list of `iscsi_param_info` (INDEX u16, CHAP_TYPE u8, USERNAME,
 *   PASSWORD, PASSWORD_LEN u8) — payloads.ts chapEntryParams.
 * - DELETE_CHAP {host_no @16, chap_tbl_idx u16 @20}.
 *
 * Secrets: the records carry passwords; nothing here logs them.
 */
import { ConfigError, ISCSI_ERR } from '../../shared/errors.js';
import { ISCSI_CHAP_REC_SIZE } from './abi.js';
import type { KernelTcpDriver } from './driver.js';
import type { ChapEntryInput } from './payloads.js';
import type { ChapRecord } from './stats.js';

/** MAX_CHAP_BUF_SZ (4096) / sizeof(struct iscsi_chap_rec): entries asked per GET_CHAP. */
export const CHAP_PAGE_ENTRIES = Math.floor(4096 / ISCSI_CHAP_REC_SIZE);
/** MAX_CHAP_ENTRIES of iscsiadm (index limit for deletes; the default index 2049 means "none given"). */
export const MAX_CHAP_ENTRIES = 2048;
/** Guard against a driver that keeps answering full pages. */
const MAX_PAGES = Math.ceil((MAX_CHAP_ENTRIES + 1) / CHAP_PAGE_ENTRIES) + 1;

/** Every valid entry of the host's CHAP table, paged as iscsiadm pages it. */
export async function readChapTable(driver: KernelTcpDriver, hostNo: number): Promise<ChapRecord[]> {
  const out: ChapRecord[] = [];
  let from = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await driver.request({ kind: 'getChap', hostNo, numEntries: CHAP_PAGE_ENTRIES, chapTblIdx: from });
    if (r.request !== 'getChap') break;
    out.push(...r.entries);
    const last = r.entries.at(-1);
    if (r.numEntries !== CHAP_PAGE_ENTRIES || last === undefined || last.chapTblIdx + 1 > 0xffff) break;
    from = last.chapTblIdx + 1;
  }
  return out;
}

/** SET_CHAP of one entry. */
export async function writeChapEntry(driver: KernelTcpDriver, hostNo: number, entry: ChapEntryInput): Promise<void> {
  await driver.request({ kind: 'setChap', hostNo, entry });
}

/** DELETE_CHAP of one index. */
export async function deleteChapEntry(driver: KernelTcpDriver, hostNo: number, index: number): Promise<void> {
  await driver.request({ kind: 'deleteChap', hostNo, chapTblIdx: index });
}

/** iscsiadm's record keys of a CHAP entry (idbm HOST_AUTH_*). */
export const HOST_AUTH = {
  INDEX: 'host.auth.tbl_idx',
  USERNAME: 'host.auth.username',
  PASSWORD: 'host.auth.password',
  USERNAME_IN: 'host.auth.username_in',
  PASSWORD_IN: 'host.auth.password_in',
} as const;

/**
 * The entry `-o new|update -x idx -n host.auth.* -v …` describes (iscsiadm
 * verify_host_chap_params): username + password of the same direction decide the
 * type; a mixed or incomplete pair is refused. Other keys are ignored.
 */
export function chapEntryFromParams(index: number, params: readonly (readonly [string, string])[]): ChapEntryInput {
  let username: { type: 'out' | 'in'; value: string } | undefined;
  let password: { type: 'out' | 'in'; value: string } | undefined;
  const isUser = (n: string): boolean => n === HOST_AUTH.USERNAME || n === HOST_AUTH.USERNAME_IN;
  const isPass = (n: string): boolean => n === HOST_AUTH.PASSWORD || n === HOST_AUTH.PASSWORD_IN;
  if (params.filter(([n]) => isUser(n)).length > 1 || params.filter(([n]) => isPass(n)).length > 1) {
    throw new ConfigError('CHAP_PAIR_INVALID', 'Only one pair of username/password can be passed.', { details: { field: 'host.auth' } });
  }
  for (const [name, value] of params) {
    if (name === HOST_AUTH.USERNAME) username = { type: 'out', value };
    else if (name === HOST_AUTH.USERNAME_IN) username = { type: 'in', value };
    else if (name === HOST_AUTH.PASSWORD) password = { type: 'out', value };
    else if (name === HOST_AUTH.PASSWORD_IN) password = { type: 'in', value };
  }
  if (username === undefined || password === undefined || username.type !== password.type) {
    throw new ConfigError('CHAP_PAIR_INVALID', 'Invalid username/password pair passed. Unable to determine the type of chap entry', {
      errno: ISCSI_ERR.INVAL, details: { field: 'host.auth' },
    });
  }
  if (!Number.isInteger(index) || index < 0 || index > 0xffff) {
    throw new ConfigError('CHAP_INDEX_INVALID', 'Invalid chap table index.', { details: { field: 'index', index } });
  }
  return { index, type: username.type, username: username.value, password: password.value };
}

/** Entries of the printed record, in iscsiadm's order (password_length is hidden there). */
export function chapRecordEntries(rec: ChapRecord): { key: string; value: string; secret: boolean }[] {
  const out = rec.type === 'out';
  return [
    { key: HOST_AUTH.INDEX, value: String(rec.chapTblIdx), secret: false },
    { key: out ? HOST_AUTH.USERNAME : HOST_AUTH.USERNAME_IN, value: rec.username, secret: false },
    { key: out ? HOST_AUTH.PASSWORD : HOST_AUTH.PASSWORD_IN, value: cString(rec.password), secret: true },
  ];
}

/** iscsiadm prints the password char[256] with %s: up to the first NUL. */
function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}
