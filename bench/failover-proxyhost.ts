/**
 * Child process of the failover soak: runs the TCP fault proxies outside the measured
 * process, so the daemon's sockets, timers and file descriptors are counted alone.
 *
 *   fork('failover-proxyhost.js', [targetPort, count])
 *   → sends { ports: number[] } once listening
 *   ← { op: 'mode', i, mode } | { op: 'reset', i } | { op: 'stop' }
 */
import { FaultProxy, type FaultMode } from '../test/support/fault-proxy.js';

type Command = { op: 'mode'; i: number; mode: FaultMode } | { op: 'reset'; i: number } | { op: 'stop' };

async function main(): Promise<void> {
  const targetPort = Number(process.argv[2]);
  const count = Number(process.argv[3]);
  const proxies: FaultProxy[] = [];
  for (let i = 0; i < count; i++) proxies.push(await FaultProxy.start({ target: { host: '127.0.0.1', port: targetPort } }));
  process.on('message', (m: Command) => {
    if (m.op === 'mode') proxies[m.i]?.setMode(m.mode);
    else if (m.op === 'reset') proxies[m.i]?.resetAll();
    else void Promise.all(proxies.map((p) => p.stop())).finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ports: proxies.map((p) => p.portal.port) });
}

main().catch((err: unknown) => {
  process.stderr.write(`failover-proxyhost: ${String(err)}\n`);
  process.exit(1);
});
