// Child process for listen-fd.test.ts, run by plain node against the compiled tree:
// serves the control API on an inherited, already listening socket fd, as tsiscsid
// does under systemd socket activation. argv: <dist dir> <fd>
import { z } from 'zod';

const dist = process.argv[2];
const { defineMethod } = await import(`${dist}/control/method.js`);
const { ControlServer } = await import(`${dist}/control/server.js`);

const pid = defineMethod({
  name: 'test.pid',
  params: z.object({}),
  result: z.object({ pid: z.number() }),
  handler: () => ({ pid: process.pid }),
});

const server = new ControlServer({ methods: [pid] });
await server.listenFd(Number(process.argv[3] ?? '3'));
process.stdout.write('READY\n');
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
