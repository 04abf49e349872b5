/**
 * The demo: SendTargets discovery against a portal, log in to every target (CHAP where
 * credentials are given), list each LUN (INQUIRY / READ CAPACITY), print the session
 * statistics in iscsiadm's format, log out. scripts/demo.sh starts and stops the tgtd.
 *
 *   node dist/demo/demo.js --portal 127.0.0.1:3260 [--chap IQN=USER:SECRET]... [--initiator IQN]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { IscsiError } from '../shared/errors.js';
import { isidFromQualifier } from '../iscsi/isid.js';
import { generateInitiatorName } from '../iscsi/names.js';
import { formatPortalForRecord, parsePortal } from '../iscsi/portal.js';
import { deviceTypeName } from '../iscsi/scsi/names.js';
import type { ChapConfig } from '../iscsi/security.js';
import { STATS_FIELDS } from '../iscsi/stats.js';
import { discoverSendTargets } from '../discovery/sendtargets.js';
import { describeLuns, type LunInfo } from '../session/scsi-ops.js';
import { Session } from '../session/session.js';
import { userTcpTransport } from '../transport/usertcp/index.js';

/** open-iscsi prints addresses containing a '.' bare and everything else in brackets. */
function addr(host: string): string {
  return host.includes('.') ? host : `[${host}]`;
}

function lunLine(l: LunInfo): string {
  const q = l.inquiry;
  const cap = l.capacity ? `  ${(Number(l.capacity.sizeBytes) / 2 ** 20).toFixed(0)} MiB (${l.capacity.blocks} x ${l.capacity.blockLength}-byte blocks)` : '';
  const serial = l.serial ? `  serial ${l.serial}` : '';
  return `\tLUN ${l.lun}: ${deviceTypeName(q.peripheralDeviceType)}  vendor ${q.vendor}  product ${q.product}  revision ${q.revision}${cap}${serial}`;
}

function chapFor(specs: string[], target: string): ChapConfig | undefined {
  for (const spec of specs) {
    const eq = spec.lastIndexOf('=');
    const [user, ...rest] = spec.slice(eq + 1).split(':');
    if (spec.slice(0, eq) === target && user) return { username: user, secret: rest.join(':') };
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { portal: { type: 'string' }, chap: { type: 'string', multiple: true }, initiator: { type: 'string' } } });
  if (!values.portal) throw new IscsiError('DEMO_USAGE', 'usage: demo --portal HOST:PORT [--chap IQN=USER:SECRET] [--initiator IQN]');
  const portal = parsePortal(values.portal);
  const initiatorName = values.initiator ?? generateInitiatorName('iqn.2016-04.com.tsiscsi', randomBytes);
  const common = { transport: userTcpTransport, initiatorName, loginTimeoutMs: 15_000 };

  console.log(`# Initiator ${initiatorName}`);
  console.log(`# SendTargets discovery at ${addr(portal.host)}:${portal.port}`);
  const found = await discoverSendTargets({ ...common, portal, isid: isidFromQualifier(0) });
  for (const t of found.targets) for (const p of t.portals) console.log(`${formatPortalForRecord(p.host, p.port, p.tpgt)} ${t.name}`);

  let sid = 0;
  let failures = 0;
  for (const target of found.targets) {
    const p = target.portals[0]!;
    const where = `[iface: default, target: ${target.name}, portal: ${addr(p.host)},${p.port}]`;
    const chap = chapFor(values.chap ?? [], target.name);
    sid++;
    const session = new Session({ ...common, portal: { host: p.host, port: p.port }, tpgt: p.tpgt, targetName: target.name, sessionType: 'Normal', isid: isidFromQualifier(sid), ...(chap ? { chap } : {}) });
    console.log(`\nLogging in to ${where}${chap ? ' (CHAP)' : ''}`);
    try {
      await session.login();
    } catch (err) {
      failures++;
      const e = err instanceof IscsiError ? err : new IscsiError('UNKNOWN', String(err));
      console.error(`iscsiadm: Could not login to ${where}.`);
      console.error(`iscsiadm: initiator reported error (${e.errno} - ${e.message})`);
      continue;
    }
    console.log(`Login to ${where} successful.`);
    const luns = await describeLuns(session);
    console.log(`LUNs of ${target.name}:`);
    for (const l of luns) console.log(lunLine(l));
    const sessWhere = `[sid: ${sid}, target: ${target.name}, portal: ${addr(p.host)},${p.port}]`;
    console.log(`Stats for session ${sessWhere}`);
    console.log('iSCSI SNMP:');
    const stats = session.stats!;
    for (const f of STATS_FIELDS) console.log(`\t${f}: ${stats[f]}`);
    console.log(`Logging out of session ${sessWhere}`);
    await session.logout();
    console.log(`Logout of ${sessWhere} successful.`);
  }
  return failures === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err instanceof IscsiError ? err : undefined;
      console.error(`demo: ${e ? `${e.message} (${e.code}, error ${e.errno})` : String(err)}`);
      process.exit(e?.errno ?? 1);
    },
  );
}
