/**
 * daemon-api helper process: the daemon's control stack (ControlServer + every Daemon
 * method, pino JSON logger at info as tsiscsid uses it) composed as src/daemon/main.ts
 * does, but with the per-connection rate limit lifted. The real binary allows 200
 * requests/s per connection (DEFAULT_LIMITS), which caps a back-to-back loop; this
 * process measures what the framework itself costs per call. Prints `ready` on stderr.
 *
 *   node bench/out/bench/daemon-api-server.js ROOT
 */
import { mkdir } from 'node:fs/promises';
import { ControlServer } from '../src/control/server.js';
import { readIscsidConf, RecordStore } from '../src/db/index.js';
import { Daemon } from '../src/daemon/daemon.js';
import { createDaemonLogger } from '../src/daemon/logging.js';
import { daemonPaths } from '../src/shared/paths.js';
import { OUR_INITIATOR } from './lib/names.js';

const root = process.argv[2];
if (root === undefined) {
  process.stderr.write('usage: daemon-api-server.js ROOT\n');
  process.exit(2);
}
const paths = daemonPaths(root);
await mkdir(paths.runDir, { recursive: true, mode: 0o700 });
const conf = await readIscsidConf(paths.config);
const store = await RecordStore.open({ root: paths.db, defaults: conf.defaults });
const log = createDaemonLogger({ debug: 0, foreground: false });
const daemon = new Daemon({ paths, store, iscsid: conf, initiator: { name: OUR_INITIATOR }, logger: log });
const server = new ControlServer({
  methods: daemon.methods,
  logger: log.child({ component: 'control' }),
  limits: { maxRequestsPerSecond: 1e7, abuseRejectionsPerSecond: 1e8 },
});
daemon.onEvent((e) => server.publish(e));
await server.listen(paths.socket);
await daemon.start();
process.on('SIGTERM', () => {
  void daemon.shutdown().then(() => server.close()).finally(() => process.exit(0));
});
process.stderr.write('ready\n');
