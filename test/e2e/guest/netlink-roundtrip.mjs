// Runs INSIDE the test VM (real Debian kernel with iscsi_tcp), as root, with the host's
// node and repo over 9p (see test/e2e/vm/init). Uses OUR addon through
// dist/transport/kernel/netlink-native.js and drives a CREATE_SESSION / DESTROY_SESSION
// round trip with the kernel. The bytes are built here by hand from reference
// open-iscsi.md §3.1/§3.3 (independent of src/transport/kernel/codec.ts).
//
// It only OBSERVES: every fact is printed as `TSI-JSON {...}` and the host-side test
// (test/e2e/kernel-netlink.e2e.ts) asserts. Exit status 0 unless the script itself broke.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

const emit = (step, obj = {}) => console.log(`TSI-JSON ${JSON.stringify({ step, ...obj })}`);
const DIST = new URL('../../../dist/transport/kernel/netlink-native.js', import.meta.url);
const nl = await import(DIST.href);
/** The project's codec, when built (cross-checked against the hand-built bytes and the kernel). */
const codec = await import(new URL('../../../dist/transport/kernel/codec.js', import.meta.url).href).catch((err) => ({ missing: String(err) }));

// --- message layout (reference §3.1, §3.3) -------------------------------------
const NLMSG_HDRLEN = 16;       // struct nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32
const UEVENT_LEN = 56;         // struct iscsi_uevent
const CREATE_SESSION = 11;
const DESTROY_SESSION = 12;
const KEVENT_IF_ERROR = 103;

/** nlmsghdr + iscsi_uevent with type/handle; `fill(ev)` writes the request union (ev = view at the uevent). */
function request(type, handle, portId, seq, fill) {
  const b = Buffer.alloc(NLMSG_HDRLEN + UEVENT_LEN);
  b.writeUInt32LE(b.length, 0);      // nlmsg_len
  b.writeUInt16LE(type, 4);          // nlmsg_type = uevent type
  b.writeUInt16LE(0, 6);             // nlmsg_flags
  b.writeUInt32LE(seq, 8);           // nlmsg_seq
  b.writeUInt32LE(portId, 12);       // nlmsg_pid
  const ev = b.subarray(NLMSG_HDRLEN);
  ev.writeUInt32LE(type, 0);         // type
  ev.writeUInt32LE(0, 4);            // iferror
  ev.writeBigUInt64LE(handle, 8);    // transport_handle
  fill(ev);
  return b;
}

/** Decode what the harness needs from a kernel datagram. */
function decode(msg) {
  const o = { len: msg.length, nlLen: msg.readUInt32LE(0), nlType: msg.readUInt16LE(4), nlPid: msg.readUInt32LE(12) };
  if (msg.length >= NLMSG_HDRLEN + UEVENT_LEN) {
    const ev = msg.subarray(NLMSG_HDRLEN);
    Object.assign(o, {
      type: ev.readUInt32LE(0), iferror: ev.readInt32LE(4), handle: ev.readBigUInt64LE(8).toString(),
      r0: ev.readUInt32LE(40), r1: ev.readUInt32LE(44), r2: ev.readUInt32LE(48),
    });
  }
  return o;
}

/** What the project's decoder makes of a kernel datagram (or why it threw). */
function decodeWithCodec(msg) {
  if (codec.missing) return undefined;
  try {
    return codec.decodeKernelDatagram(msg).map((m) => JSON.parse(JSON.stringify(m, (k, v) =>
      typeof v === 'bigint' ? v.toString() : k === 'header' || Buffer.isBuffer(v) || v?.type === 'Buffer' ? undefined : v)));
  } catch (err) {
    return { error: err.code ?? String(err) };
  }
}

/** Is the project's encoder byte-equal to the hand-built request? */
function encodeWithCodec(req, ctx, handBuilt) {
  if (codec.missing) return { codec: 'missing', why: codec.missing };
  try {
    const ours = codec.encodeRequest(req, ctx);
    return { codec: 'present', equal: ours.equals(handBuilt), ours: ours.toString('hex'), hand: handBuilt.toString('hex') };
  } catch (err) {
    return { codec: 'present', error: err.code ?? String(err) };
  }
}

/** Can the guest reach the host's target portal (qemu user net: 10.0.2.2 = host loopback)? */
function probePortal(portal) {
  const i = portal.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = connect({ host: portal.slice(0, i), port: Number(portal.slice(i + 1)) });
    const done = (ok, error) => { s.destroy(); resolve({ portal, ok, error }); };
    s.setTimeout(10_000, () => done(false, 'timeout'));
    s.on('connect', () => done(true));
    s.on('error', (err) => done(false, err.code));
  });
}

const received = [];
let waiter;
function onMessage(msg) {
  const d = decode(msg);
  d.codec = decodeWithCodec(msg);
  received.push(d);
  if (waiter && d.nlType === waiter.type && (d.type === waiter.type || d.type === KEVENT_IF_ERROR)) {
    const w = waiter;
    waiter = undefined;
    clearTimeout(w.timer);
    w.resolve(d);
  }
}

/** Send a request; resolve with the unicast reply (same nlmsg_type, reference §3.1). */
function transact(ch, msg) {
  const type = msg.readUInt16LE(4);
  return new Promise((resolve, reject) => {
    waiter = { type, resolve, timer: setTimeout(() => reject(new Error(`no reply to type ${type} in 10 s`)), 10_000) };
    ch.send(msg);
  });
}

const tick = () => new Promise((r) => setTimeout(r, 200));

if (process.argv[2] === '--unprivileged') {
  // child run as nobody: opening with the iscsid group and sending must be refused
  emit('unprivileged', { uid: process.getuid(), availability: nl.kernelAvailability() });
  try {
    nl.openNetlinkChannel();
    emit('unprivileged-open', { ok: true });
  } catch (err) {
    emit('unprivileged-open', { ok: false, code: err.code, errno: err.details?.errno, syscall: err.details?.syscall });
  }
  // without the multicast group the socket opens, but the kernel refuses the request
  // itself (CAP_SYS_ADMIN check): IF_ERROR with -EPERM
  const ch = nl.openNetlinkChannel({ groups: 0 });
  ch.onMessage(onMessage);
  const handle = BigInt(process.argv[3]); // the sysfs handle file is root-only: the parent passes it
  const reply = await transact(ch, request(CREATE_SESSION, handle, ch.portId, 1, (ev) => ev.writeUInt16LE(128, 20)));
  emit('unprivileged-create-reply', reply);
  ch.close();
  process.exit(0);
}

emit('start', { node: process.version, pid: process.pid, uptime: readFileSync('/proc/uptime', 'utf8').split(' ')[0] });
emit('availability', nl.kernelAvailability());
const handle = BigInt(readFileSync('/sys/class/iscsi_transport/tcp/handle', 'utf8').trim());
const ch = nl.openNetlinkChannel();
emit('open', { portId: ch.portId, fd: ch.fd, handle: handle.toString() });
ch.onMessage(onMessage);

if (process.env.TSI_PORTAL) emit('portal', await probePortal(process.env.TSI_PORTAL));

// CREATE_SESSION: c_session {initial_cmdsn u32 @16, cmds_max u16 @20, queue_depth u16 @22}
const createMsg = request(CREATE_SESSION, handle, ch.portId, 1, (ev) => {
  ev.writeUInt32LE(1, 16);
  ev.writeUInt16LE(128, 20);
  ev.writeUInt16LE(32, 22);
});
emit('codec-encode', encodeWithCodec({ kind: 'createSession', initialCmdSn: 1, cmdsMax: 128, queueDepth: 32 },
  { transportHandle: handle, pid: ch.portId, seq: 1 }, createMsg));
const created = await transact(ch, createMsg);
const sid = created.r0;
const hostNo = created.r1;
const sessionDir = `/sys/class/iscsi_session/session${sid}`;
emit('create-reply', { ...created, sessionDirExists: existsSync(sessionDir), hostDirExists: existsSync(`/sys/class/scsi_host/host${hostNo}`),
  sessionState: existsSync(`${sessionDir}/state`) ? readFileSync(`${sessionDir}/state`, 'utf8').trim() : null });

// DESTROY_SESSION: d_session {sid u32 @16}
const destroyed = await transact(ch, request(DESTROY_SESSION, handle, ch.portId, 2, (ev) => ev.writeUInt32LE(sid, 16)));
await tick(); // device removal is synchronous, but give sysfs readers a moment
emit('destroy-reply', { ...destroyed, sessionDirExists: existsSync(sessionDir) });

// bad input: DESTROY_SESSION for a sid that does not exist -> IF_ERROR with a negative errno
const bogus = await transact(ch, request(DESTROY_SESSION, handle, ch.portId, 3, (ev) => ev.writeUInt32LE(0x7fff0000, 16)));
emit('bogus-destroy-reply', bogus);

await tick();
emit('events', { received: received.filter((d) => d.nlType === 0) });
emit('all-received', { received });
ch.close();

// not root: the kernel refuses the iscsid group (bind) / requests (reference §3.1)
const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--unprivileged', handle.toString()], {
  uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000,
});
process.stdout.write(child.stdout ?? '');
emit('unprivileged-exit', { status: child.status, stderr: (child.stderr ?? '').slice(-500) });
emit('end', { uptime: readFileSync('/proc/uptime', 'utf8').split(' ')[0] });
