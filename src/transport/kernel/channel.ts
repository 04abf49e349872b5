/**
 * The NETLINK_ISCSI socket as the bridge sees it: datagrams out, datagrams in.
 *
 * The real implementation (a small native addon, a later step) binds
 * `socket(AF_NETLINK, SOCK_RAW, NETLINK_ISCSI)` to our pid and multicast group 1
 * (ISCSI_NL_GRP_ISCSID) and sends to the kernel (pid 0, groups 0). Tests use the
 * fake kernel in test/support/fake-kernel, which implements the same interface.
 */

/** A bidirectional datagram channel to the kernel's iSCSI netlink family. */
export interface NetlinkChannel {
  /** Sends one datagram (one or more complete netlink messages). */
  send(msg: Buffer): void;
  /** Registers the receiver of every datagram the kernel delivers (unicast replies and multicast events). */
  onMessage(cb: (datagram: Buffer) => void): void;
  /** Releases the socket; no callback runs afterwards. */
  close?(): void;
}

/** Why the kernel transports cannot be used on this host (reported instead of failing). */
export interface ChannelUnavailable {
  code: 'NETLINK_ADDON_MISSING' | 'NETLINK_SOCKET_FAILED' | 'NO_KERNEL_ISCSI' | 'NOT_PERMITTED';
  reason: string;
}
