#!/usr/bin/env node
// Build the NETLINK_ISCSI addon (binding.gyp -> build/Release/netlink.node) with node-gyp.
//
// Run by the npm `install` script (so `npm ci` / `npm install` build it) and by
// `npm run build:native`. It NEVER fails the install: kernel transports are optional
// and usertcp works without them. When the build fails or is skipped, the reason is
// written to build/netlink-unavailable.txt; src/transport/kernel/netlink-native.ts
// reports it as "kernel transports unavailable: <reason>".
//
// Env: TSISCSI_SKIP_NATIVE=1 skips the build; TSISCSI_NATIVE_STRICT=1 makes a failed
//      build exit 1 (for CI jobs that must have the addon).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reasonFile = path.join(root, 'build', 'netlink-unavailable.txt');
const strict = process.env.TSISCSI_NATIVE_STRICT === '1';
const BUILD_TIMEOUT_MS = 300_000;

function say(msg) {
  process.stderr.write(`tsiscsi native: ${msg}\n`);
}

function giveUp(reason) {
  say(`netlink addon NOT built: ${reason}`);
  say('kernel transports will be unavailable; usertcp keeps working. Retry: npm run build:native');
  mkdirSync(path.dirname(reasonFile), { recursive: true });
  writeFileSync(reasonFile, `${reason}\n`);
  process.exit(strict ? 1 : 0);
}

/**
 * node-gyp's CLI script: npm tells its scripts where its bundled copy is; else next to
 * npm (nodejs.org/NodeSource layout), Debian's node-gyp package, or node-gyp on PATH.
 */
function findNodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.dirname(path.dirname(process.execPath));
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push('/usr/share/nodejs/node-gyp/bin/node-gyp.js');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir) candidates.push(path.join(dir, 'node-gyp'));
  }
  return candidates.find((c) => c && existsSync(c));
}

/**
 * Use the headers installed with this Node (e.g. /usr/include/node) so node-gyp does
 * not download them; an explicit npm_config_nodedir wins.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

if (process.env.TSISCSI_SKIP_NATIVE === '1') giveUp('skipped (TSISCSI_SKIP_NATIVE=1)');
if (process.platform !== 'linux') giveUp(`AF_NETLINK exists only on Linux (platform ${process.platform})`);
const gyp = findNodeGyp();
if (!gyp) giveUp('node-gyp not found (it ships with npm; run the install through npm)');

rmSync(reasonFile, { force: true });
const args = [gyp, 'rebuild', ...nodedirArgs()];
say(`node ${args.map((a) => path.basename(a) === 'node-gyp.js' ? 'node-gyp' : a).join(' ')}`);
const res = spawnSync(process.execPath, args, {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  timeout: BUILD_TIMEOUT_MS,
  encoding: 'utf8',
});
if (res.error || res.status !== 0) {
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n');
  const firstError = out.find((l) => /error|not found|No such/i.test(l) && !/^gyp info/.test(l));
  process.stderr.write(out.slice(-30).join('\n') + '\n');
  const why = res.error ? res.error.message : `node-gyp exited ${res.status ?? res.signal}`;
  giveUp(`${why}${firstError ? `: ${firstError.trim()}` : ''} (python3, make and a C compiler are needed)`);
}
if (!existsSync(path.join(root, 'build', 'Release', 'netlink.node'))) giveUp('node-gyp succeeded but build/Release/netlink.node is missing');
say('built build/Release/netlink.node');
