/**
 * A kernel that says no: IF_ERROR (-errno in iferror) and negative r.retcode map
 * to KernelRequestError naming the request and the errno, with a stable code and
 * open-iscsi's ISCSI_ERR_* number.
 */
import { describe, expect, it } from 'vitest';
import { ISCSI_ERR } from '../../../src/shared/errors.js';
import { decodeKernelDatagram, ifErrorToError, KernelRequestError, retcodeToError } from '../../../src/transport/kernel/codec.js';
import { i32, nlmsg, u32, uevent } from '../../support/fake-kernel/dsl.js';

describe('IF_ERROR -> typed error', () => {
  it.each([
    [16, -38, 'KERNEL_NOT_SUPPORTED', ISCSI_ERR.OP_NOT_SUPP, 'ISCSI_UEVENT_SET_PARAM', 'ENOSYS'],
    [11, -1, 'KERNEL_PERMISSION_DENIED', ISCSI_ERR.ACCESS, 'ISCSI_UEVENT_CREATE_SESSION', 'EPERM'],
    [13, -22, 'KERNEL_INVALID_ARGUMENT', ISCSI_ERR.INVAL, 'ISCSI_UEVENT_CREATE_CONN', 'EINVAL'],
    [12, -16, 'KERNEL_BUSY', ISCSI_ERR.BUSY, 'ISCSI_UEVENT_DESTROY_SESSION', 'EBUSY'],
    [26, -19, 'KERNEL_NO_SUCH_HOST', ISCSI_ERR.HOST_NOT_FOUND, 'ISCSI_UEVENT_SET_HOST_PARAM', 'ENODEV'],
    [11, -12, 'KERNEL_NO_MEMORY', ISCSI_ERR.NOMEM, 'ISCSI_UEVENT_CREATE_SESSION', 'ENOMEM'],
    [16, -107, 'KERNEL_NOT_CONNECTED', ISCSI_ERR.SESSION_NOT_CONNECTED, 'ISCSI_UEVENT_SET_PARAM', 'ENOTCONN'],
    [20, -17, 'KERNEL_NO_SUCH_CONNECTION', ISCSI_ERR.SESS_NOT_FOUND, 'ISCSI_UEVENT_GET_STATS', 'EEXIST'],
    [17, -17, 'KERNEL_EXISTS', ISCSI_ERR.SESS_EXISTS, 'ISCSI_UEVENT_START_CONN', 'EEXIST'],
    [22, -111, 'KERNEL_CONNECT_FAILED', ISCSI_ERR.TRANS, 'ISCSI_UEVENT_TRANSPORT_EP_CONNECT', 'ECONNREFUSED'],
    [22, -99, 'KERNEL_ERROR', ISCSI_ERR.ERR, 'ISCSI_UEVENT_TRANSPORT_EP_CONNECT', 'errno 99'],
  ])('type %i iferror %i -> %s', (type, errno, code, iscsiErr, request, name) => {
    const [m] = decodeKernelDatagram(nlmsg({ type }, uevent(u32(0, 103), i32(4, errno))));
    if (m?.kind !== 'ifError') throw new Error('expected an IF_ERROR');
    const err = ifErrorToError(m.requestType, m.errno, { transport: 'tcp' });
    expect(err).toBeInstanceOf(KernelRequestError);
    expect(err.code).toBe(code);
    expect(err.errno).toBe(iscsiErr);
    expect(err.request).toBe(request);
    expect(err.sysErrno).toBe(-errno);
    expect(err.errnoName).toBe(name);
    expect(err.details).toMatchObject({ request, errno, source: 'iferror', transport: 'tcp' });
  });

  it('EPERM tells the admin to run with CAP_SYS_ADMIN; ENOSYS names the unsupported request', () => {
    expect(ifErrorToError(11, -1).message).toContain('CAP_SYS_ADMIN');
    expect(ifErrorToError(32, -38).message).toContain('ISCSI_UEVENT_PING');
  });

  it('retryable only where a retry can help', () => {
    expect(ifErrorToError(11, -12).retryable).toBe(true);
    expect(ifErrorToError(16, -38).retryable).toBe(false);
    expect(ifErrorToError(11, -1).retryable).toBe(false);
  });
});

describe('negative r.retcode -> typed error', () => {
  it('BIND_CONN retcode -EINVAL is KERNEL_INVALID_ARGUMENT from source retcode; >= 0 is success', () => {
    const err = retcodeToError(15, -22);
    expect(err).toMatchObject({ code: 'KERNEL_INVALID_ARGUMENT', sysErrno: 22, details: { source: 'retcode', request: 'ISCSI_UEVENT_BIND_CONN' } });
    expect(retcodeToError(23, 1)).toBeUndefined();
    expect(retcodeToError(17, 0)).toBeUndefined();
  });
});
