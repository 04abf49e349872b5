/**
 * SendTargets discovery through the kernel (reference §1.4): for transports with
 * CAP_TEXT_NEGO iscsiadm does not open its own TCP socket; it builds a temporary
 * kernel discovery session — CREATE_(BOUND_)SESSION with initial_cmdsn 1,
 * cmds_max 32, queue_depth 1 and ISCSI_PARAM_DISCOVERY_SESS = 1 — logs in through
 * the kernel (MaxRecvDataSegmentLength capped at 8192, transports.ts maskOffer) and
 * exchanges the `SendTargets=All` Text Request / Text Responses with SEND_PDU /
 * RECV_PDU, following C=1 continuations with empty requests echoing the TTT
 * (RFC 7143 §11.10.2). The answer is parsed by the pure parser src/iscsi/sendtargets.ts.
 *
 * Which path a transport takes (`discoveryPathFor`): a socket-fd transport (tcp) or
 * one without TEXT_NEGO discovers in userspace; CAP_SENDTARGETS_OFFLOAD (old qla4xxx)
 * means the firmware does it (TGT_DSCVR, not driven here); otherwise the kernel.
 */
import { systemClock, type Clock } from '../../shared/clock.js';
import { ProtocolError } from '../../shared/errors.js';
import { parseSendTargets, type SendTargetsResult } from '../../iscsi/sendtargets.js';
import { decodeText, encodeText, type TextPair } from '../../iscsi/text/codec.js';
import { defaultOffer } from '../../iscsi/text/negotiate.js';
import { capabilityPlan, type TransportBehaviour } from './transports.js';
import { OffloadSession, type OffloadBringUpInput } from './offload-session.js';

export type DiscoveryPath = 'userspace' | 'kernel' | 'firmware';

/** Where SendTargets runs for this transport and caps, with the reason (for logs). */
export function discoveryPathFor(behaviour: TransportBehaviour, caps: number): { path: DiscoveryPath; reason: string } {
  const plan = capabilityPlan(caps);
  if (behaviour.connect === 'socket-fd') return { path: 'userspace', reason: `${behaviour.name} logs in on a userspace socket` };
  if (plan.sendTargetsOffload) return { path: 'firmware', reason: `${behaviour.name} has CAP_SENDTARGETS_OFFLOAD: the firmware discovers (TGT_DSCVR)` };
  if (plan.textNego) return { path: 'kernel', reason: `${behaviour.name} has CAP_TEXT_NEGO: discovery PDUs go through the kernel` };
  return { path: 'userspace', reason: `${behaviour.name} lacks CAP_TEXT_NEGO` };
}

/** Text Response opcode (RFC 7143 §11.11). */
const TEXT_RESPONSE = 0x24;
const TTT_NONE = 0xffffffff;
/** Bound on Text Response PDUs of one answer. */
const MAX_TEXT_PDUS = 256;

export type KernelDiscoveryInput = Omit<OffloadBringUpInput, 'offer' | 'cmdsMax' | 'queueDepth' | 'tpgt'> & {
  /** discovery.sendtargets.timeo.active_timeout (default 30 s). */
  responseTimeoutMs?: number;
};

/** Discovers the targets behind `input.address` through a temporary kernel discovery session. */
export async function kernelSendTargets(input: KernelDiscoveryInput): Promise<SendTargetsResult> {
  const clock: Clock = input.clock ?? systemClock;
  const { targetName: _unused, ...login } = input.login;
  const session = await OffloadSession.bringUp({
    ...input,
    login: { ...login, sessionType: 'Discovery', cmdSN: 1 },
    session: { ...input.session, discovery: true, targetName: '' },
    offer: defaultOffer('Discovery'), cmdsMax: 32, queueDepth: 1, tpgt: 0,
  });
  try {
    const pairs = await sendTargets(session, input.responseTimeoutMs ?? 30_000, clock);
    return parseSendTargets(pairs, { host: input.address.host, port: input.address.port });
  } finally {
    await session.logout(15_000, clock);
  }
}

async function sendTargets(session: OffloadSession, timeoutMs: number, clock: Clock): Promise<TextPair[]> {
  const itt = 0x5354;
  const cmdSN = session.login?.cmdSN ?? 1;
  let expStatSN = session.login?.expStatSN ?? 0;
  let data = encodeText([['SendTargets', 'All']]);
  let ttt = TTT_NONE;
  const parts: Buffer[] = [];
  for (let i = 0; i < MAX_TEXT_PDUS; i++) {
    const r = await session.exchange({
      kind: 'text-request', immediate: true, final: true, cont: false, lun: Buffer.alloc(8), itt, ttt, cmdSN, expStatSN, data,
    }, TEXT_RESPONSE, timeoutMs, clock);
    parts.push(r.data);
    expStatSN = (r.bhs.readUInt32BE(24) + 1) >>> 0;
    if (((r.bhs[1] ?? 0) & 0x40) === 0) {
      const text = Buffer.concat(parts);
      return text.length === 0 ? [] : decodeText(text, 'TextResponse(SendTargets).data');
    }
    ttt = r.bhs.readUInt32BE(20);
    data = Buffer.alloc(0);
  }
  throw new ProtocolError('SENDTARGETS_TOO_LONG', `SendTargets answer still continues after ${MAX_TEXT_PDUS} Text Responses`, { where: 'TextResponse.C' });
}
