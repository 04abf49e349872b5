/** Fake NETLINK_ISCSI kernel for unit tests (see kernel.ts). */
export { FakeKernel, FakeChannel, type Req } from './kernel.js';
export { DEFAULT_TRANSPORTS, E as FAKE_ERRNO, T as FAKE_TYPES } from './types.js';
export type {
  FakeConn, FakeEndpoint, FakeHost, FakeKernelOptions, FakeOp, FakeSession, FakeTransportSpec, OpenOptions, ReceivedRequest,
} from './types.js';
export { parseAttrs } from './handlers-host.js';
