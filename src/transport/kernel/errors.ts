/**
 * Typed errors for a kernel that says no.
 *
 * A failed NETLINK_ISCSI request comes back as ISCSI_KEVENT_IF_ERROR with a
 * negative errno in `iferror`; a few requests (BIND_CONN, START_CONN, SEND_PDU,
 * EP_POLL) also report a driver error as a negative `r.retcode`. Both map here to
 * a `KernelRequestError` that names the request and the errno, carries a stable
 * `code`, open-iscsi's ISCSI_ERR_* number, and a message an admin can act on.
 */
import { IscsiError, ISCSI_ERR, type IscsiErrNumber } from '../../shared/errors.js';
import { messageTypeName, UEV } from './abi.js';

/** Linux errno values (x86_64) the iSCSI netlink code returns, by name. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ENOSYS: 38,
  EOPNOTSUPP: 95,
  ENETUNREACH: 101,
  ECONNRESET: 104,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

/** Name of a (positive or negative) errno, e.g. `errnoName(-38) === 'ENOSYS'`. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  for (const [name, value] of Object.entries(ERRNO)) if (value === n) return name;
  return `errno ${n}`;
}

interface ErrnoRule {
  code: string;
  iscsiErr: IscsiErrNumber;
  retryable: boolean;
  /** What the admin should do; `req` is the ISCSI_UEVENT_* name. */
  advice: (req: string) => string;
}

const DENIED: ErrnoRule = {
  code: 'KERNEL_PERMISSION_DENIED',
  iscsiErr: ISCSI_ERR.ACCESS,
  retryable: false,
  advice: () => 'NETLINK_ISCSI requests need CAP_SYS_ADMIN: run tsiscsid as root (or grant it CAP_SYS_ADMIN in its unit)',
};
const UNREACHABLE: ErrnoRule = {
  code: 'KERNEL_CONNECT_FAILED',
  iscsiErr: ISCSI_ERR.TRANS,
  retryable: true,
  advice: () => 'the offload endpoint could not reach the portal: check the portal address, routing and the HBA link',
};

/** errno -> rule. Requests not listed fall back to KERNEL_ERROR. */
const RULES: Readonly<Record<number, ErrnoRule>> = {
  [ERRNO.ENOSYS]: {
    code: 'KERNEL_NOT_SUPPORTED',
    iscsiErr: ISCSI_ERR.OP_NOT_SUPP,
    retryable: false,
    advice: (req) => `the loaded kernel transport does not implement ${req}: use a transport that supports it or update the kernel/driver`,
  },
  [ERRNO.EOPNOTSUPP]: {
    code: 'KERNEL_NOT_SUPPORTED',
    iscsiErr: ISCSI_ERR.OP_NOT_SUPP,
    retryable: false,
    advice: (req) => `the driver does not support ${req} on this host`,
  },
  [ERRNO.EPERM]: DENIED,
  [ERRNO.EACCES]: DENIED,
  [ERRNO.EINVAL]: {
    code: 'KERNEL_INVALID_ARGUMENT',
    iscsiErr: ISCSI_ERR.INVAL,
    retryable: false,
    advice: () => 'the kernel does not know the transport handle, session or connection named in the request, or rejected a value; compare with /sys/class/iscsi_transport and /sys/class/iscsi_session',
  },
  [ERRNO.EBUSY]: {
    code: 'KERNEL_BUSY',
    iscsiErr: ISCSI_ERR.BUSY,
    retryable: true,
    advice: () => 'the session still has connections or is in use; stop and destroy its connections first',
  },
  [ERRNO.ENODEV]: {
    code: 'KERNEL_NO_SUCH_HOST',
    iscsiErr: ISCSI_ERR.HOST_NOT_FOUND,
    retryable: false,
    advice: () => 'no SCSI host with that number: check `tsiscsiadm -m host` and /sys/class/iscsi_host',
  },
  [ERRNO.ENOMEM]: {
    code: 'KERNEL_NO_MEMORY',
    iscsiErr: ISCSI_ERR.NOMEM,
    retryable: true,
    advice: () => 'the kernel could not allocate memory or the driver ran out of sessions/connections; retry later or free resources',
  },
  [ERRNO.EEXIST]: {
    code: 'KERNEL_EXISTS',
    iscsiErr: ISCSI_ERR.SESS_EXISTS,
    retryable: false,
    advice: () => 'the offload firmware already has this session',
  },
  [ERRNO.ENOTCONN]: {
    code: 'KERNEL_NOT_CONNECTED',
    iscsiErr: ISCSI_ERR.SESSION_NOT_CONNECTED,
    retryable: true,
    advice: () => 'the connection is not bound or is being cleaned up after an error; recovery will re-bind it',
  },
  [ERRNO.EAGAIN]: {
    code: 'KERNEL_TRY_AGAIN',
    iscsiErr: ISCSI_ERR.AGAIN,
    retryable: true,
    advice: () => 'the kernel or offload device is not ready yet; retry',
  },
  [ERRNO.EIO]: {
    code: 'KERNEL_IO_ERROR',
    iscsiErr: ISCSI_ERR.TRANS,
    retryable: true,
    advice: () => 'the driver reported an I/O error; check the kernel log (dmesg)',
  },
  [ERRNO.ETIMEDOUT]: {
    code: 'KERNEL_TIMED_OUT',
    iscsiErr: ISCSI_ERR.TRANS_TIMEOUT,
    retryable: true,
    advice: () => 'the offload connection timed out; check that the portal is reachable from the HBA',
  },
  [ERRNO.ECONNREFUSED]: UNREACHABLE,
  [ERRNO.EHOSTUNREACH]: UNREACHABLE,
  [ERRNO.ENETUNREACH]: UNREACHABLE,
};

/** GET_STATS answers -EEXIST when it cannot find the connection (scsi_transport_iscsi.c). */
const NO_CONN_RULE: ErrnoRule = {
  code: 'KERNEL_NO_SUCH_CONNECTION',
  iscsiErr: ISCSI_ERR.SESS_NOT_FOUND,
  retryable: false,
  advice: () => 'the kernel has no such connection; the session may have been removed',
};

const FALLBACK: ErrnoRule = {
  code: 'KERNEL_ERROR',
  iscsiErr: ISCSI_ERR.ERR,
  retryable: false,
  advice: () => 'see the kernel log (dmesg) for the driver message',
};

/** A NETLINK_ISCSI request the kernel refused. `errno` is open-iscsi's number; `sysErrno` the positive Linux errno. */
export class KernelRequestError extends IscsiError {
  /** ISCSI_UEVENT_* name of the refused request. */
  readonly request: string;
  /** Positive Linux errno (38 for ENOSYS). */
  readonly sysErrno: number;
  readonly errnoName: string;

  constructor(requestType: number, sysErrno: number, source: 'iferror' | 'retcode', context: { transport?: string } = {}) {
    const n = Math.abs(sysErrno);
    const request = messageTypeName(requestType);
    const rule = requestType === UEV.GET_STATS && n === ERRNO.EEXIST ? NO_CONN_RULE : (RULES[n] ?? FALLBACK);
    const name = errnoName(n);
    const where = context.transport === undefined ? '' : ` (transport ${context.transport})`;
    super(rule.code, `kernel refused ${request}${where}: ${name} (-${n}); ${rule.advice(request)}`, {
      errno: rule.iscsiErr,
      retryable: rule.retryable,
      details: { request, errno: -n, errnoName: name, source, ...context },
    });
    this.request = request;
    this.sysErrno = n;
    this.errnoName = name;
  }
}

/** The error for an IF_ERROR reply (`iferror` is a negative errno carried in a u32). */
export function ifErrorToError(requestType: number, iferror: number, context: { transport?: string } = {}): KernelRequestError {
  return new KernelRequestError(requestType, iferror, 'iferror', context);
}

/** The error for a negative `r.retcode`, or undefined for success (>= 0). */
export function retcodeToError(requestType: number, retcode: number, context: { transport?: string } = {}): KernelRequestError | undefined {
  return retcode >= 0 ? undefined : new KernelRequestError(requestType, retcode, 'retcode', context);
}
