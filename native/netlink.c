/*
 * netlink.node: a raw AF_NETLINK datagram socket for Node.js (N-API, C).
 *
 * Node has no AF_NETLINK, and the kernel iSCSI transports are driven over
 * NETLINK_ISCSI (8). BIND_CONN passes the number of a TCP socket fd that must
 * belong to the process sending the message, so the netlink socket has to live
 * inside the daemon process: hence this addon. It knows nothing about iSCSI;
 * message layouts are built and parsed in TypeScript (src/transport/kernel).
 *
 *   new NetlinkSocket(protocol, groups)   socket(AF_NETLINK, SOCK_RAW|CLOEXEC|NONBLOCK)
 *                                         + bind(nl_pid 0 = kernel assigns, nl_groups)
 *   .fd, .portId                          the fd and the port id the kernel assigned
 *   .send(buf)        -> bytes sent       sendto(nl_pid 0, nl_groups 0) = to the kernel
 *   .recv()           -> Buffer | null    one datagram, exact size; null when none is queued
 *   .startPolling(cb) / .stopPolling()    uv_poll_t: cb(null) when readable, cb(err) on error
 *   .ref() / .unref()                     whether an active poll keeps the event loop alive
 *   .close()                              idempotent
 *
 * Every failure throws an Error with { errno (positive), code ('EPERM'...), syscall }.
 * Datagrams whose sender is not the kernel (nl_pid != 0) are dropped by recv().
 */
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>

/* A poll handle outlives its socket object until libuv calls close_cb. */
typedef struct poller {
	uv_poll_t handle;
	struct nlsock *owner; /* NULL once detached */
} poller_t;

typedef struct nlsock {
	napi_env env;
	int fd;               /* -1 once closed */
	uint32_t port_id;
	poller_t *poller;     /* non-NULL while a poll handle exists */
	napi_ref self;        /* weak; strong (count 1) while polling: keeps the JS object alive */
	int held;             /* self's count is 1 */
	napi_ref callback;
	napi_async_context actx;
	int unref;
} nlsock_t;

#define CHECK(env, call)                                                      \
	do {                                                                  \
		if ((call) != napi_ok) {                                      \
			napi_throw_error((env), "ENAPI", #call " failed");    \
			return NULL;                                          \
		}                                                             \
	} while (0)

/* Throw Error("<syscall>: <strerror>") with errno, code and syscall properties. */
static napi_value throw_errno(napi_env env, int err, const char *syscall)
{
	char msg[160];
	const char *name = uv_err_name(-err);
	napi_value error, text, code, num, sys;
	snprintf(msg, sizeof(msg), "netlink %s failed: %s (%s)", syscall, strerror(err), name);
	napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
	napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
	napi_create_error(env, code, text, &error);
	napi_create_int32(env, err, &num);
	napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
	napi_set_named_property(env, error, "errno", num);
	napi_set_named_property(env, error, "code", code);
	napi_set_named_property(env, error, "syscall", sys);
	napi_throw(env, error);
	return NULL;
}

static void on_poll_closed(uv_handle_t *handle)
{
	free(handle); /* poller_t starts with its uv_poll_t */
}

/* Stop and release the poll handle and the references that polling holds. */
static void stop_polling(nlsock_t *s)
{
	if (s->poller) {
		s->poller->owner = NULL;
		uv_poll_stop(&s->poller->handle);
		uv_close((uv_handle_t *)&s->poller->handle, on_poll_closed);
		s->poller = NULL;
	}
	if (s->callback) {
		napi_delete_reference(s->env, s->callback);
		s->callback = NULL;
	}
	if (s->actx) {
		napi_async_destroy(s->env, s->actx);
		s->actx = NULL;
	}
	if (s->held) {
		napi_reference_unref(s->env, s->self, NULL);
		s->held = 0;
	}
}

static void close_socket(nlsock_t *s)
{
	stop_polling(s);
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

/* Environment teardown (process or worker exit): release the fd and poll handle
 * while libuv can still close handles. */
static void cleanup_hook(void *data)
{
	close_socket(data);
}

static void finalize(napi_env env, void *data, void *hint)
{
	nlsock_t *s = data;
	(void)hint;
	napi_remove_env_cleanup_hook(env, cleanup_hook, s);
	close_socket(s);
	if (s->self)
		napi_delete_reference(env, s->self);
	free(s);
}

/* Fetch `this` and its nlsock_t; throws EBADF when the socket is closed. */
static nlsock_t *unwrap(napi_env env, napi_callback_info info, size_t *argc,
			napi_value *argv, int need_open)
{
	napi_value self;
	void *data = NULL;
	if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok ||
	    napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
		napi_throw_type_error(env, "EINVAL", "not a NetlinkSocket");
		return NULL;
	}
	nlsock_t *s = data;
	if (need_open && s->fd < 0) {
		throw_errno(env, EBADF, "use after close");
		return NULL;
	}
	return s;
}

/* Read-only numeric properties fd and portId on the new object. */
static napi_status define_ids(napi_env env, napi_value obj, int fd, uint32_t port_id)
{
	napi_value vfd, vport;
	napi_status st = napi_create_int32(env, fd, &vfd);
	if (st == napi_ok)
		st = napi_create_uint32(env, port_id, &vport);
	if (st != napi_ok)
		return st;
	napi_property_descriptor props[] = {
		{ "fd", NULL, NULL, NULL, NULL, vfd, napi_enumerable, NULL },
		{ "portId", NULL, NULL, NULL, NULL, vport, napi_enumerable, NULL },
	};
	return napi_define_properties(env, obj, 2, props);
}

/* new NetlinkSocket(protocol: number, groups: number) */
static napi_value construct(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2], self;
	uint32_t protocol = 0, groups = 0;
	CHECK(env, napi_get_cb_info(env, info, &argc, argv, &self, NULL));
	if (argc < 2 || napi_get_value_uint32(env, argv[0], &protocol) != napi_ok ||
	    napi_get_value_uint32(env, argv[1], &groups) != napi_ok) {
		napi_throw_type_error(env, "EINVAL", "NetlinkSocket(protocol, groups): two numbers expected");
		return NULL;
	}
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, (int)protocol);
	if (fd < 0)
		return throw_errno(env, errno, "socket");
	/* nl_pid 0: the kernel assigns a unique port id (the pid for the first socket). */
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = groups };
	socklen_t len = sizeof(sa);
	const char *failed = NULL;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		failed = "bind";
	else if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		failed = "getsockname";
	if (failed) {
		int err = errno;
		close(fd);
		return throw_errno(env, err, failed);
	}
	nlsock_t *s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return throw_errno(env, ENOMEM, "calloc");
	}
	s->env = env;
	s->fd = fd;
	s->port_id = sa.nl_pid;
	if (napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
		close(fd);
		free(s);
		napi_throw_error(env, "ENAPI", "napi_wrap failed");
		return NULL;
	}
	/* From here the finalizer owns s (and closes fd). */
	CHECK(env, napi_create_reference(env, self, 0, &s->self));
	CHECK(env, napi_add_env_cleanup_hook(env, cleanup_hook, s));
	CHECK(env, define_ids(env, self, fd, s->port_id));
	return self;
}

/* send(buf: Uint8Array): number — one datagram to the kernel (nl_pid 0). */
static napi_value nl_send(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], result;
	nlsock_t *s = unwrap(env, info, &argc, argv, 1);
	if (!s)
		return NULL;
	napi_typedarray_type type;
	size_t length = 0, offset = 0;
	void *data = NULL;
	napi_value ab;
	bool is_ta = false;
	if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta ||
	    napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok ||
	    type != napi_uint8_array) {
		napi_throw_type_error(env, "EINVAL", "send(buf): a Buffer or Uint8Array expected");
		return NULL;
	}
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 0 };
	ssize_t n;
	do
		n = sendto(s->fd, data, length, 0, (struct sockaddr *)&dst, sizeof(dst));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return throw_errno(env, errno, "sendto");
	CHECK(env, napi_create_double(env, (double)n, &result));
	return result;
}

/* Receive one datagram of `size` bytes into a new Buffer; *from gets the sender. */
static ssize_t recv_into(nlsock_t *s, void *buf, size_t size, int flags, uint32_t *from, int *trunc)
{
	struct sockaddr_nl src;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = { .msg_name = &src, .msg_namelen = sizeof(src), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	memset(&src, 0, sizeof(src));
	do
		n = recvmsg(s->fd, &msg, flags);
	while (n < 0 && errno == EINTR);
	*from = src.nl_pid;
	*trunc = (msg.msg_flags & MSG_TRUNC) != 0;
	return n;
}

/* recv(): Buffer | null — the next datagram from the kernel, or null if none is queued. */
static napi_value nl_recv(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	napi_value result;
	nlsock_t *s = unwrap(env, info, &argc, NULL, 1);
	if (!s)
		return NULL;
	for (;;) {
		char probe;
		uint32_t from;
		int trunc;
		/* MSG_PEEK|MSG_TRUNC returns the datagram's real length without consuming it. */
		ssize_t size = recv_into(s, &probe, 1, MSG_PEEK | MSG_TRUNC, &from, &trunc);
		if (size < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				CHECK(env, napi_get_null(env, &result));
				return result;
			}
			return throw_errno(env, errno, "recvmsg");
		}
		void *data = NULL;
		CHECK(env, napi_create_buffer(env, size > 0 ? (size_t)size : 1, &data, &result));
		ssize_t n = recv_into(s, data, size > 0 ? (size_t)size : 1, 0, &from, &trunc);
		if (n < 0)
			return throw_errno(env, errno, "recvmsg");
		if (trunc)
			return throw_errno(env, EMSGSIZE, "recvmsg");
		if (from != 0)
			continue; /* not from the kernel: drop */
		if ((size_t)n != (size_t)size)
			CHECK(env, napi_create_buffer_copy(env, (size_t)n, data, NULL, &result));
		return result;
	}
}

static void on_readable(uv_poll_t *handle, int status, int events)
{
	poller_t *p = (poller_t *)handle;
	nlsock_t *s = p->owner;
	(void)events;
	if (!s || !s->callback)
		return;
	napi_env env = s->env;
	napi_handle_scope scope;
	napi_value cb, recv, arg, ignored;
	if (napi_open_handle_scope(env, &scope) != napi_ok)
		return;
	if (napi_get_reference_value(env, s->callback, &cb) == napi_ok &&
	    napi_get_reference_value(env, s->self, &recv) == napi_ok) {
		if (status < 0) {
			napi_value code, msg;
			napi_create_string_utf8(env, uv_err_name(status), NAPI_AUTO_LENGTH, &code);
			napi_create_string_utf8(env, "netlink poll failed", NAPI_AUTO_LENGTH, &msg);
			napi_create_error(env, code, msg, &arg);
			napi_value num;
			napi_create_int32(env, -status, &num);
			napi_set_named_property(env, arg, "errno", num);
		} else {
			napi_get_null(env, &arg);
		}
		/* make_callback: runs microtasks afterwards, like any libuv-driven callback. */
		if (napi_make_callback(env, s->actx, recv, cb, 1, &arg, &ignored) == napi_pending_exception) {
			napi_value exc;
			napi_get_and_clear_last_exception(env, &exc);
			napi_fatal_exception(env, exc);
		}
	}
	napi_close_handle_scope(env, scope);
}

/* startPolling(cb: (err: Error | null) => void): void */
static napi_value nl_start(napi_env env, napi_callback_info info)
{
	size_t argc = 1;
	napi_value argv[1], name;
	napi_valuetype t;
	uv_loop_t *loop;
	nlsock_t *s = unwrap(env, info, &argc, argv, 1);
	if (!s)
		return NULL;
	if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
		napi_throw_type_error(env, "EINVAL", "startPolling(cb): a function expected");
		return NULL;
	}
	stop_polling(s);
	CHECK(env, napi_get_uv_event_loop(env, &loop));
	poller_t *p = calloc(1, sizeof(*p));
	if (!p)
		return throw_errno(env, ENOMEM, "calloc");
	int rc = uv_poll_init(loop, &p->handle, s->fd);
	if (rc < 0) {
		free(p);
		return throw_errno(env, -rc, "uv_poll_init");
	}
	p->owner = s;
	s->poller = p;
	if (s->unref)
		uv_unref((uv_handle_t *)&p->handle);
	CHECK(env, napi_create_reference(env, argv[0], 1, &s->callback));
	CHECK(env, napi_create_string_utf8(env, "NetlinkSocket", NAPI_AUTO_LENGTH, &name));
	CHECK(env, napi_async_init(env, NULL, name, &s->actx));
	CHECK(env, napi_reference_ref(env, s->self, NULL));
	s->held = 1;
	rc = uv_poll_start(&p->handle, UV_READABLE, on_readable);
	if (rc < 0) {
		stop_polling(s);
		return throw_errno(env, -rc, "uv_poll_start");
	}
	return NULL;
}

static napi_value nl_stop(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	nlsock_t *s = unwrap(env, info, &argc, NULL, 0);
	if (s)
		stop_polling(s);
	return NULL;
}

static napi_value set_ref(napi_env env, napi_callback_info info, int unref)
{
	size_t argc = 0;
	nlsock_t *s = unwrap(env, info, &argc, NULL, 0);
	if (!s)
		return NULL;
	s->unref = unref;
	if (s->poller) {
		if (unref)
			uv_unref((uv_handle_t *)&s->poller->handle);
		else
			uv_ref((uv_handle_t *)&s->poller->handle);
	}
	return NULL;
}

static napi_value nl_ref(napi_env env, napi_callback_info info) { return set_ref(env, info, 0); }
static napi_value nl_unref(napi_env env, napi_callback_info info) { return set_ref(env, info, 1); }

static napi_value nl_close(napi_env env, napi_callback_info info)
{
	size_t argc = 0;
	nlsock_t *s = unwrap(env, info, &argc, NULL, 0);
	if (s)
		close_socket(s);
	return NULL;
}

static napi_value init(napi_env env, napi_value exports)
{
	napi_property_descriptor methods[] = {
		{ "send", NULL, nl_send, NULL, NULL, NULL, napi_default_method, NULL },
		{ "recv", NULL, nl_recv, NULL, NULL, NULL, napi_default_method, NULL },
		{ "startPolling", NULL, nl_start, NULL, NULL, NULL, napi_default_method, NULL },
		{ "stopPolling", NULL, nl_stop, NULL, NULL, NULL, napi_default_method, NULL },
		{ "ref", NULL, nl_ref, NULL, NULL, NULL, napi_default_method, NULL },
		{ "unref", NULL, nl_unref, NULL, NULL, NULL, napi_default_method, NULL },
		{ "close", NULL, nl_close, NULL, NULL, NULL, napi_default_method, NULL },
	};
	napi_value cls, proto;
	CHECK(env, napi_define_class(env, "NetlinkSocket", NAPI_AUTO_LENGTH, construct, NULL,
				     sizeof(methods) / sizeof(methods[0]), methods, &cls));
	CHECK(env, napi_set_named_property(env, exports, "NetlinkSocket", cls));
	CHECK(env, napi_create_uint32(env, NETLINK_ISCSI, &proto));
	CHECK(env, napi_set_named_property(env, exports, "NETLINK_ISCSI", proto));
	return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
