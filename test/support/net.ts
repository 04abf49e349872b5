/**
 * Loopback network helpers for tests: pick a free TCP port, wait for a listener.
 * Only loopback addresses are used by the test suite.
 */
import { createConnection, createServer } from 'node:net';

/**
 * Ask the kernel for a free TCP port on `host` (bind port 0, read it, close).
 * The port is free at return time; another process may still take it before the
 * caller binds it, so callers that spawn a server should verify and retry.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error(`freePort: no TCP address for ${host}`));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** True when `port` can be bound on `host` right now. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** One TCP connect attempt; resolves true when something accepts on host:port. */
export function tryConnect(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Poll until a TCP connect to host:port succeeds. Rejects with an error whose
 * `code` is `PORT_WAIT_TIMEOUT` after `timeoutMs`.
 */
export async function waitForPort(host: string, port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (await tryConnect(host, port, Math.max(50, Math.min(500, left)))) return;
    if (Date.now() >= deadline) {
      const err = new Error(`waitForPort: nothing listens on ${host}:${port} after ${timeoutMs} ms`);
      Object.assign(err, { code: 'PORT_WAIT_TIMEOUT' });
      throw err;
    }
    await sleep(10);
  }
}
