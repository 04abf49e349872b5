/** initiator.get / set, config.get, daemon.status, daemon.stop. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { configGet } from '../../control/methods/config-get.js';
import { daemonStatus, type daemonStatusResult } from '../../control/methods/daemon-status.js';
import { daemonStop } from '../../control/methods/daemon-stop.js';
import { initiatorGet } from '../../control/methods/initiator-get.js';
import { initiatorSet } from '../../control/methods/initiator-set.js';
import type { AnyMethod } from '../../control/method.js';
import { atomicWriteFile, errCode, PUBLIC_FILE_MODE } from '../../db/atomic.js';
import { ISNS_TABLE, NODE_TABLE, SENDTARGETS_TABLE } from '../../db/index.js';
import { validateName } from '../../iscsi/names.js';
import { ConfigError, IscsiError, ISCSI_ERR } from '../../shared/errors.js';
import { dumpRecord } from '../record-view.js';
import { bind, type HandlerContext, type InitiatorIdentity } from './context.js';

export type DaemonStatus = z.infer<typeof daemonStatusResult>;

/** initiatorname.iscsi text for an identity. */
export function initiatorFileText(id: InitiatorIdentity): string {
  return `InitiatorName=${id.name}\n${id.alias ? `InitiatorAlias=${id.alias}\n` : ''}`;
}

/** Replace initiatorname.iscsi atomically (its directory is created if missing). */
async function writeInitiatorFile(file: string, id: InitiatorIdentity): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await atomicWriteFile(file, initiatorFileText(id), PUBLIC_FILE_MODE);
  } catch (err) {
    throw new IscsiError('INITIATOR_FILE_WRITE_FAILED', `cannot write ${file}: ${errCode(err) ?? String(err)}`, { errno: ISCSI_ERR.IDBM, cause: err, details: { file } });
  }
}

function identityResult(ctx: HandlerContext): { name: string; alias: string | null; file: string } {
  const id = ctx.initiator();
  return { name: id.name, alias: id.alias ?? null, file: ctx.paths.initiatorName };
}

export function miscMethods(ctx: HandlerContext): AnyMethod[] {
  return [
    bind(initiatorGet, () => identityResult(ctx)),
    bind(initiatorSet, async (p) => {
      if (p.name === undefined && p.alias === undefined) {
        throw new ConfigError('NOTHING_TO_SET', 'initiator.set needs name and/or alias', { details: { field: 'name' } });
      }
      if (p.name !== undefined) validateName(p.name, 'InitiatorName');
      if (p.alias !== undefined && /[\r\n\0]/.test(p.alias)) {
        throw new ConfigError('INVALID_VALUE', 'InitiatorAlias must be one line', { details: { field: 'alias' } });
      }
      const cur = ctx.initiator();
      const alias = p.alias === undefined ? cur.alias : p.alias === '' ? undefined : p.alias;
      const next: InitiatorIdentity = { name: p.name ?? cur.name, ...(alias ? { alias } : {}) };
      await writeInitiatorFile(ctx.paths.initiatorName, next);
      ctx.setInitiator(next);
      ctx.log.info({ name: next.name, alias: next.alias }, 'initiator name changed; new logins use it');
      return identityResult(ctx);
    }),
    bind(configGet, (p) => {
      const conf = ctx.iscsid();
      const opts = { showSecrets: p.showSecrets === true };
      return {
        file: conf.file,
        exists: conf.exists,
        iscsid: { startup: conf.iscsid.startup, safeLogout: conf.iscsid.safeLogout, ipcAuthUid: conf.iscsid.ipcAuthUid },
        defaults: {
          node: dumpRecord(NODE_TABLE, conf.defaults.node, opts).entries,
          sendtargets: dumpRecord(SENDTARGETS_TABLE, conf.defaults.sendtargets, opts).entries,
          isns: dumpRecord(ISNS_TABLE, conf.defaults.isns, opts).entries,
        },
        warnings: conf.warnings,
      };
    }),
    bind(daemonStatus, () => ctx.status() as DaemonStatus),
    bind(daemonStop, () => {
      ctx.requestStop();
      return { stopping: true as const };
    }),
  ];
}
