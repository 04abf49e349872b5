'use strict';
/**
 * Helper of scripts/bundle-cli.mjs: load dist/cli/tsiscsiadm.cjs exactly as
 * bin/tsiscsiadm does (same wrapper text, so V8 accepts the cache later), run a few
 * commands against a throwaway fake daemon (a Unix socket that answers hello,
 * session.list and node.list with made-up data), and write V8's code cache for the
 * functions that ran. Nothing is printed.
 *
 *   node scripts/bundle-cli-warm.cjs <bundle> <cache-out>
 */
const { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const vm = require('node:vm');

const [file, cacheOut] = process.argv.slice(2);
const src = readFileSync(file, 'utf8');
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${src}\n})`, { filename: file });
const mod = { exports: {} };
script.runInThisContext()(mod.exports, require, mod, file, dirname(file));

const portal = { address: '192.0.2.1', port: 3260 };
const node = (i) => ({ target: `iqn.2024-01.org.example:warm${i}`, address: portal.address, port: portal.port, tpgt: 1, iface: 'default' });
const session = (i) => ({
  sid: i, target: node(i).target, tpgt: 1, transport: 'tcp', dataPath: 'usertcp', flash: false, currentPortal: portal, persistentPortal: portal,
  iface: { name: 'default', transport: 'tcp', initiatorName: 'iqn.2024-01.org.example:i', ipAddress: '192.0.2.9', hwAddress: '', netdev: '' },
  states: { connection: 'LOGGED IN', session: 'LOGGED_IN', internal: 'NO CHANGE' },
  timeouts: { recovery: 120, targetReset: 30, lunReset: 30, abort: 15, login: 15, logout: 15, noopOutInterval: 5, noopOutTimeout: 5 },
  chap: { username: '', password: '', usernameIn: '', passwordIn: '' },
  negotiated: { headerDigest: 'None', dataDigest: 'None', maxRecvDataSegmentLength: 262144, maxXmitDataSegmentLength: 8192, firstBurstLength: 65536, maxBurstLength: 262144, immediateData: true, initialR2T: true, maxOutstandingR2T: 1, maxConnections: 1, defaultTime2Wait: 2, defaultTime2Retain: 0, errorRecoveryLevel: 0, dataPDUInOrder: true, dataSequenceInOrder: true },
  node: node(i), startup: 'manual', isid: '00023d000001', tsih: 1, loggedInAt: null,
  scsi: { hostNumber: null, hostState: 'running', scannedAt: null, luns: [{ lun: 0, channel: 0, targetId: 0, deviceType: 0, deviceTypeName: 'Direct-Access', vendor: 'V', product: 'P', revision: '1', blockDevice: null, state: 'running' }] },
});
const answers = {
  hello: { server: 'tsiscsid', version: '0', protocol: 1, methods: ['node.list', 'session.list'], limits: { maxFrameBytes: 1048576, maxInFlight: 32, maxRequestsPerSecond: 200 } },
  'session.list': { sessions: [session(1), session(2)], versions: { transportClass: null, daemon: '0' } },
  'node.list': { nodes: [1, 2].map((i) => ({ node: node(i), startup: 'manual', transport: 'tcp', source: { type: 'static' }, inUse: false })), warnings: [] },
};

const root = mkdtempSync(join(tmpdir(), 'tsiscsiadm-warm-'));
mkdirSync(join(root, 'run/tsiscsi'), { recursive: true });
const server = createServer((socket) => {
  let buf = '';
  socket.on('data', (chunk) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const req = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      // `-m session` asks for the -P 0 fields only (session.list {detail: 'flat'}): answer in kind, so the cache covers that path.
      const flat = req.method === 'session.list' && req.params && req.params.detail === 'flat';
      const result = flat
        ? { ...answers['session.list'], sessions: answers['session.list'].sessions.map((x) => ({ sid: x.sid, target: x.target, tpgt: x.tpgt, transport: x.transport, flash: x.flash, persistentPortal: x.persistentPortal, node: x.node })) }
        : answers[req.method];
      const reply = result === undefined
        ? { jsonrpc: '2.0', id: req.id, error: { code: -32601, message: 'no', data: { errno: 16, code: 'METHOD_NOT_FOUND', retryable: false, name: 'IscsiError', details: {} } } }
        : { jsonrpc: '2.0', id: req.id, result };
      socket.write(`${JSON.stringify(reply)}\n`);
    }
  });
});

server.listen(join(root, 'run/tsiscsi/tsiscsid.sock'), async () => {
  const sink = { write() {} };
  const env = { stdout: sink, stderr: sink, env: { TSISCSI_ROOT: root }, programPath: 'tsiscsiadm' };
  try {
    for (const argv of [['-V'], ['-m', 'session'], ['-m', 'session', '-P', '3'], ['-m', 'node'], ['-m', 'session', '-s'], ['-m', 'nope']]) {
      await mod.exports.run(argv, env);
    }
    writeFileSync(cacheOut, script.createCachedData());
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
  process.exit(0);
});
