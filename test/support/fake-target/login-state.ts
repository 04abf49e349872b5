/**
 * Per-connection login state of the standard script, the options that shape a
 * login, and the checks the fake target makes on every Login Request
 * (violations are logged, never fatal: the tests decide what they mean).
 */
import type { LoginRequest, LoginResponse } from '../../../src/iscsi/pdu/types.js';
import type { ChapExchange, ChapTargetOptions } from './chap-target.js';
import type { KeyRule } from './negotiation.js';
import type { LunSpec } from './scsi-disk.js';
import type { Pair } from './text.js';
import type { ConnContext } from './types.js';

/** One target name served by the standard script. */
export interface TargetSpec {
  name: string;
  alias?: string;
  /** LUNs of its in-memory disk (default: LUN 0, 8 MiB). */
  luns?: LunSpec[];
}

/** A login answered with a non-zero status (§11.13.5). */
export interface LoginFailure {
  statusClass: number;
  statusDetail: number;
  /** TargetAddress values to send (redirects, class 1; G-01..G-08). */
  addresses?: string[] | ((ctx: ConnContext) => string[]);
  /** Which complete Login Request (0-based) gets the failure (default 0). */
  atRequest?: number;
  /** More pairs to put in the failing response. */
  keys?: Array<[string, string]>;
  /** Close the connection (FIN) after sending (default false: the initiator must close, C-13). */
  close?: boolean;
}

/** Options that shape the login phase. */
export interface LoginOptions {
  /** 'none' (default) or CHAP settings (H-group). */
  auth?: 'none' | ChapTargetOptions;
  /** Fail the login with this status. */
  status?: LoginFailure;
  /** Replace the computed answer to these keys; null omits the answer (E-, F-group). */
  answers?: Record<string, string | null>;
  /** Declarations sent in the first Operational-stage response (default MaxRecvDataSegmentLength=262144). Replaces the default. */
  declare?: Record<string, string | number>;
  /** Pairs appended to the first Login Response as-is (floods, X- keys, odd case, hex/base64 values). */
  extraKeys?: Array<[string, string]>;
  /** Keys the target proposes in a T=0 Operational response; the initiator must answer them (E-13, E-14). */
  propose?: Array<[string, string]>;
  /** Target-side key rules or values (a string keeps the key's result function). */
  keys?: Record<string, KeyRule | string>;
  /** TSIH of the final response; default a fresh non-zero number per session. 0 is allowed (B-08). */
  tsih?: number;
  /** TargetPortalGroupTag in the first response of a Normal leading login (default 1; null: not sent). */
  tpgt?: number | null;
  /** StatSN of the first Login Response (default 1). */
  initialStatSN?: number;
  /** Answer the first T=1 Operational request with T=0 (tgtd quirk, D-08). */
  t0OnFirstOperational?: boolean;
  /** Extra T=0 Operational rounds before agreeing to transit (D-18), each with `t0RoundKeys(round)`. */
  t0Rounds?: number;
  t0RoundKeys?: (round: number) => Array<[string, string]>;
  /** Split Login Response text into C=1 PDUs of at most this many bytes (C-07, C-08). */
  splitResponsesAt?: number;
  /** Answer Irrelevant to Normal-only keys in Discovery sessions (F-23). */
  discoveryIrrelevant?: boolean;
  /**
   * Called for every complete Login Request with the response the script would send
   * (numbering filled). Return a response or several to send instead, null to send
   * nothing, undefined for the default.
   */
  onLoginRequest?: (ctx: ConnContext, req: LoginRequest, defaultResponse: LoginResponse, pairs: Pair[]) => LoginResponse | LoginResponse[] | null | undefined;
}

/** Login state of one connection, kept in `ctx.state.login` (tests may inspect it). */
export interface LoginState {
  /** Complete Login Requests handled. */
  requests: number;
  first?: LoginRequest;
  lastStatSN?: number;
  /** Data of C=1 requests waiting for the last piece. */
  partial: Buffer[];
  /** Remaining C=1 pieces of a split response, sent one per empty request. */
  outQueue: LoginResponse[];
  sessionType: 'Normal' | 'Discovery';
  initiatorName?: string;
  targetName?: string;
  chap?: ChapExchange;
  securityDone: boolean;
  sentFirst: boolean;
  sentDeclare: boolean;
  proposalsSent: boolean;
  /** Keys the target proposed that the initiator has not answered yet. */
  pending: Set<string>;
  /** Keys the target sent unasked (extraKeys, round keys): the initiator's pairs with these names are answers. */
  sentByTarget: Set<string>;
  quirkDone: boolean;
  rounds: number;
  /** Final value of each negotiated key. */
  agreed: Map<string, string>;
  initiatorDecl: Map<string, string>;
  targetDecl: Map<string, string>;
  /** Keys the initiator has offered or declared in this login (D-17). */
  seen: Set<string>;
  tsih: number;
  /** Set when the login ended (FFP, failure). */
  finished: boolean;
  /** Close after the failure response is sent. */
  closeAfterFailure: boolean;
}

/** Fresh login state. */
export function newLoginState(): LoginState {
  return {
    requests: 0, partial: [], outQueue: [], sessionType: 'Normal', securityDone: false, sentFirst: false,
    sentDeclare: false, proposalsSent: false, pending: new Set(), sentByTarget: new Set(), quirkDone: false, rounds: 0, agreed: new Map(),
    initiatorDecl: new Map(), targetDecl: new Map(), seen: new Set(), tsih: 0, finished: false, closeAfterFailure: false,
  };
}

/** Per-request field checks (C-01, C-02, C-03, C-04, B-02, B-11, D-03, D-04); violations only. */
export function checkRequest(ctx: ConnContext, st: LoginState, req: LoginRequest): void {
  const v = (code: string, msg: string): void => ctx.log('violation', code, msg);
  if (req.versionMax !== 0 || req.versionMin !== 0) v('LOGIN_VERSION', `Version-max/min ${req.versionMax}/${req.versionMin}, expected 0/0`);
  if (req.transit && req.nsg <= req.csg) v('LOGIN_BAD_NSG', `T=1 with NSG ${req.nsg} not above CSG ${req.csg}`);
  const f = st.first;
  if (f === undefined) return;
  if (req.itt !== f.itt) v('LOGIN_ITT_CHANGED', `ITT 0x${req.itt.toString(16)} differs from 0x${f.itt.toString(16)}`);
  if (!req.isid.equals(f.isid)) v('LOGIN_ISID_CHANGED', 'ISID changed within the login phase');
  if (req.cid !== f.cid) v('LOGIN_CID_CHANGED', `CID ${req.cid} differs from ${f.cid}`);
  if (req.tsih !== f.tsih) v('LOGIN_TSIH_CHANGED', `TSIH ${req.tsih} differs from ${f.tsih}`);
  if (req.cmdSN !== f.cmdSN) v('LOGIN_CMDSN_CHANGED', `CmdSN ${req.cmdSN} differs from ${f.cmdSN}`);
  if (st.lastStatSN !== undefined && req.expStatSN !== ((st.lastStatSN + 1) >>> 0)) {
    v('LOGIN_EXPSTATSN', `ExpStatSN ${req.expStatSN}, expected ${(st.lastStatSN + 1) >>> 0}`);
  }
}

/** The response skeleton for `req` (status 0, stage fields from the request, no numbering yet). */
export function responseTo(req: LoginRequest, data: Buffer, transit: boolean, nsg: number, tsih: number): LoginResponse {
  return {
    kind: 'login-response', transit, cont: false, csg: req.csg, nsg: transit ? nsg : 0,
    versionMax: 0, versionActive: 0, isid: req.isid, tsih, itt: req.itt,
    statSN: 0, expCmdSN: 0, maxCmdSN: 0, statusClass: 0, statusDetail: 0, data,
  };
}

/** A failed-login response (§11.13.5: T, CSG, NSG reserved, sent as 0). */
export function failureTo(req: LoginRequest, statusClass: number, statusDetail: number, data: Buffer = Buffer.alloc(0)): LoginResponse {
  return { ...responseTo(req, data, false, 0, req.tsih), csg: 0, statusClass, statusDetail };
}
