/**
 * iSNS discovery (RFC 4171) as open-iscsi 2.1.8's iscsiadm does it (usr/discovery.c,
 * reference boot-and-isns.md §3.6):
 *   1. TCP to the server (default port 3205);
 *   2. DevAttrQry, source = our initiator name, key = Node Type target (or the iSCSI
 *      Name of one target), asking for 32, 33, 16, 17, 48, 49, 50, 51;
 *   3. status 6 (Source Unknown): register the initiator node (DevAttrReg, no key),
 *      query again, then deregister it (DevDereg by iSCSI Name);
 *   4. every other non-zero status fails with errno 25 (ISNS_QUERY); a failed
 *      registration with errno 26 (ISNS_REG_FAILED);
 *   5. only Portal Group objects become discovered portals (name, address, port, PGT).
 * Every wait is bounded through the injected clock.
 */
import { createConnection, type Socket } from 'node:net';
import { IscsiError, ISCSI_ERR, TransportError } from '../shared/errors.js';
import { systemClock, TimerSlot, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { DiscoveredTarget } from '../iscsi/sendtargets.js';
import {
  devAttrQry, devAttrRegInitiator, devDeregNode, encodeMessage, IsnsFramer, IsnsStatusError, ISNS_DEFAULT_PORT, ISNS_FUNC,
  ISNS_STATUS, nodesOf, parseResponse, portalGroupsOf, splitObjects, type IsnsMessage, type IsnsNode, type IsnsPortalGroup,
  type IsnsResponse,
} from '../iscsi/isns/index.js';

/** Lines libisns prints on stderr when the server cannot be reached (verified, reference §3.6 step 8). */
export const LIBISNS_DISCONNECT_NOTES = ['socket disconnect, killing socket', 'Warning: Timed out while waiting for reply'] as const;
/** What libisns prints when the server does not answer in time. */
export const LIBISNS_TIMEOUT_NOTES = ['Warning: Timed out while waiting for reply'] as const;

/** A byte stream to the server (node:net Socket in production; injectable for tests). */
export type IsnsConnect = (host: string, port: number) => Socket;

export interface IsnsDiscoveryOptions {
  /** iSNS server address and port (default 3205). */
  server: { host: string; port?: number };
  /** Our iSCSI name: the source of every request. */
  initiatorName: string;
  /** Ask only about this target (key = iSCSI Name) instead of every target. */
  target?: string;
  /** Bound on connect and on each request/response exchange (default 10 s). */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  connect?: IsnsConnect;
}

/** What one discovery returned. */
export interface IsnsDiscoveryResult {
  /** Usable portal groups, in server order: one login portal each (iscsiadm prints them in this order). */
  readonly portalGroups: readonly IsnsPortalGroup[];
  /** The same portals in SendTargets discovery's shape: per target (first appearance), its portals. */
  readonly targets: readonly DiscoveredTarget[];
  /** Target nodes the server reported. */
  readonly nodes: readonly IsnsNode[];
  /** Whether we had to register (Source Unknown) and deregistered afterwards. */
  readonly registered: boolean;
}

/** Connection-level failure: iscsiadm reports it as status "Internal error", errno 25. */
function unreachable(where: string, cause: unknown, notes: readonly string[]): IscsiError {
  return new TransportError('ISNS_UNREACHABLE', `iSNS server ${where} unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, {
    errno: ISCSI_ERR.ISNS_QUERY, cause, details: { server: where, statusText: 'Internal error', notes: [...notes] },
  });
}

/** One TCP connection to an iSNS server with request/response matching by transaction id. */
export class IsnsConnection {
  private readonly framer = new IsnsFramer();
  private readonly waiting = new Map<number, { resolve: (m: IsnsMessage) => void; reject: (e: unknown) => void }>();
  private nextXid = 1;
  private failure: unknown;

  private constructor(private readonly socket: Socket, private readonly where: string, private readonly clock: Clock, private readonly timeoutMs: number) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(unreachable(where, err, LIBISNS_DISCONNECT_NOTES)));
    socket.on('close', () => this.fail(unreachable(where, new Error('connection closed'), LIBISNS_DISCONNECT_NOTES)));
  }

  /** Open a connection; rejects with ISNS_UNREACHABLE (errno 25) on refusal or timeout. */
  static open(host: string, port: number, opts: { clock: Clock; timeoutMs: number; connect?: IsnsConnect }): Promise<IsnsConnection> {
    const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const socket = (opts.connect ?? ((h, p) => createConnection({ host: h, port: p })))(host, port);
    const timer = new TimerSlot(opts.clock, 'isns-connect');
    return new Promise<IsnsConnection>((resolve, reject) => {
      const onError = (err: Error): void => {
        timer.cancel();
        socket.destroy();
        reject(unreachable(where, err, LIBISNS_DISCONNECT_NOTES));
      };
      timer.arm(opts.timeoutMs, () => onError(new Error(`no connection within ${opts.timeoutMs} ms`)));
      socket.once('error', onError);
      socket.once('connect', () => {
        timer.cancel();
        socket.off('error', onError);
        resolve(new IsnsConnection(socket, where, opts.clock, opts.timeoutMs));
      });
    });
  }

  /** A transaction id for the next request (open-isns: per process from 1). */
  xid(): number {
    const x = this.nextXid;
    this.nextXid = this.nextXid >= 0xffff ? 1 : this.nextXid + 1;
    return x;
  }

  /** Send a request and wait for its response (same xid, function | 0x8000). */
  call(req: IsnsMessage): Promise<IsnsResponse> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const timer = new TimerSlot(this.clock, 'isns-response');
    return new Promise<IsnsMessage>((resolve, reject) => {
      this.waiting.set(req.xid, { resolve, reject });
      timer.arm(this.timeoutMs, () => {
        this.waiting.delete(req.xid);
        reject(unreachable(this.where, new Error(`no response to transaction ${req.xid} within ${this.timeoutMs} ms`), LIBISNS_TIMEOUT_NOTES));
      });
      for (const pdu of encodeMessage(req)) this.socket.write(Buffer.concat(pdu));
    }).then((m) => {
      const r = parseResponse(m);
      if (r.func !== req.func) throw unreachable(this.where, new Error(`response function 0x${m.func.toString(16)} to request 0x${req.func.toString(16)}`), []);
      return r;
    }).finally(() => timer.cancel());
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: IsnsMessage[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      this.fail(err);
      this.socket.destroy();
      return;
    }
    for (const m of messages) {
      const w = this.waiting.get(m.xid);
      if (!w) continue; // unsolicited (SCN/ESI belong on their own ports): ignored
      this.waiting.delete(m.xid);
      w.resolve(m);
    }
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }
}

/** Portal groups grouped per target, as SendTargets discovery reports them (src/iscsi/sendtargets.ts). */
export function targetsOf(groups: readonly IsnsPortalGroup[]): DiscoveredTarget[] {
  const byName = new Map<string, DiscoveredTarget>();
  for (const g of groups) {
    const t = byName.get(g.name) ?? { name: g.name, portals: [] };
    byName.set(g.name, t);
    t.portals.push({ host: g.address, port: g.port, tpgt: g.tag });
  }
  return [...byName.values()];
}

/** Register (`reg`) or deregister our initiator node; non-zero status → errno 26. */
async function regNode(conn: IsnsConnection, name: string, reg: boolean): Promise<void> {
  const req = reg ? devAttrRegInitiator(conn.xid(), name) : devDeregNode(conn.xid(), name);
  const r = await conn.call(req);
  if (r.status !== ISNS_STATUS.SUCCESS) {
    throw new IsnsStatusError(reg ? 'register' : 'deregister', r.status, ISCSI_ERR.ISNS_REG_FAILED, { initiator: name });
  }
}

/**
 * Discover the targets an iSNS server shows to `initiatorName`. Rejects with typed
 * errors: ISNS_UNREACHABLE / ProtocolError (25), IsnsStatusError (25 query, 26
 * registration).
 */
export async function discoverIsns(opts: IsnsDiscoveryOptions): Promise<IsnsDiscoveryResult> {
  const port = opts.server.port ?? ISNS_DEFAULT_PORT;
  const clock = opts.clock ?? systemClock;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const conn = await IsnsConnection.open(opts.server.host, port, { clock, timeoutMs, ...(opts.connect ? { connect: opts.connect } : {}) });
  const log = opts.logger;
  try {
    const query = (): Promise<IsnsResponse> => conn.call(devAttrQry(conn.xid(), opts.initiatorName, opts.target === undefined ? {} : { target: opts.target }));
    let r = await query();
    let registered = false;
    if (r.status === ISNS_STATUS.SOURCE_UNKNOWN) {
      log?.info({ initiator: opts.initiatorName }, 'iSNS server does not know us (Source Unknown): registering for the query');
      await regNode(conn, opts.initiatorName, true);
      registered = true;
      r = await query();
    }
    if (r.status !== ISNS_STATUS.SUCCESS) throw new IsnsStatusError('DevAttrQry', r.status, ISCSI_ERR.ISNS_QUERY);
    const objects = splitObjects(r.operating);
    const portalGroups = portalGroupsOf(objects);
    const result = { portalGroups, targets: targetsOf(portalGroups), nodes: nodesOf(objects), registered };
    if (registered) {
      await regNode(conn, opts.initiatorName, false).catch((err: unknown) => log?.warn({ err }, 'iSNS deregistration failed'));
    }
    log?.debug({ func: ISNS_FUNC.DevAttrQry, portalGroups: result.portalGroups.length, nodes: result.nodes.length }, 'iSNS query answered');
    return result;
  } finally {
    conn.close();
  }
}
