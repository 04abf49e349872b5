/**
 * One SendTargets discovery in a fresh process, for the whole-process comparison with
 * `iscsi-ls` (Node start-up included). Exits 1 unless exactly the expected number of
 * targets came back.
 *
 *   node bench/out/bench/lib/discover-once.js HOST PORT EXPECTED
 */
import { discoverSendTargets } from '../../src/discovery/sendtargets.js';
import { isidFromQualifier } from '../../src/iscsi/isid.js';
import { userTcpTransport } from '../../src/transport/usertcp/index.js';
import { OUR_INITIATOR } from './names.js';

const [host = '127.0.0.1', port = '3260', expected = '0'] = process.argv.slice(2);
// MaxRecvDataSegmentLength as iscsi-ls offers it (see discovery-1000.ts).
const found = await discoverSendTargets({
  transport: userTcpTransport, portal: { host, port: Number(port) }, initiatorName: OUR_INITIATOR, isid: isidFromQualifier(0),
  offer: { maxRecvDataSegmentLength: 262144 },
});
if (found.targets.length !== Number(expected)) {
  process.stderr.write(`discover-once: ${found.targets.length} targets, expected ${expected}\n`);
  process.exit(1);
}
