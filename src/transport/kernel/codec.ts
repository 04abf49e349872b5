/**
 * The NETLINK_ISCSI codec in one import: request encoder, message decoder,
 * datagram reader and the error mapping for refused requests.
 */
export { encodeRequest, encodeUevent, requestKindOf, REQUEST_TYPE, type EncodeContext, type RequestKind, type UeventRequest } from './requests.js';
export {
  decodeKernelDatagram, decodeKernelMessage,
  type KernelEvent, type KernelIfError, type KernelMessage, type KernelReply, type KernelUnknown,
} from './messages.js';
export { KernelMessageReader, type ReadResult, type ReaderCounters } from './reader.js';
export { encodeNlMsg, decodeNlMsgHeader, splitNetlinkDatagram, nlmsgAlign, type NlMsg, type NlMsgHeader } from './netlink.js';
export { ifErrorToError, retcodeToError, KernelRequestError, ERRNO, errnoName } from './errors.js';
export { decodeIscsiStats, decodeHostStats, decodeChapRecords, HOST_STATS_FIELDS, type ChapRecord, type CustomStat, type HostStats } from './stats.js';
export {
  chapEntryParams, cstringValue, decodeIscsiPath, encodeIscsiPath, intValue,
  type ChapEntryInput, type IfaceParamValue, type IscsiPath, type ParamInfoValue,
} from './payloads.js';
export { decodeSockaddr, encodeSockaddr, type SockAddr } from './inet.js';
