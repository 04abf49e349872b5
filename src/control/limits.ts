/**
 * Per-connection limits of the control server and the token bucket that enforces
 * the request rate. Exceeding a limit earns a typed, retryable error; only a peer
 * that keeps going far past the rate limit (see `abuseRejectionsPerSecond`) is
 * disconnected.
 */
import type { Clock } from '../shared/clock.js';
import { DEFAULT_MAX_FRAME_BYTES } from './framing.js';

export interface ControlLimits {
  /** Largest request line in bytes (LF excluded). */
  readonly maxFrameBytes: number;
  /** Requests whose handler has not finished, per connection. */
  readonly maxInFlight: number;
  /** Sustained frames per second per connection (token bucket; burst = this many). */
  readonly maxRequestsPerSecond: number;
  /** Rate-limited frames within one second after which the connection is closed. */
  readonly abuseRejectionsPerSecond: number;
  /** Events queued per connection while the peer is not reading (oldest dropped beyond). */
  readonly maxQueuedEvents: number;
  /** Subscriptions per connection. */
  readonly maxSubscriptions: number;
  /** Simultaneous connections; more are answered with an error and closed. */
  readonly maxConnections: number;
  /** A connection that has not completed `hello` by then is closed. */
  readonly helloTimeoutMs: number;
}

/**
 * Defaults. Sized for tools, not just the CLI: a tsiscsiadm run makes 1-3 requests on
 * its own connection, but an agent with one long-lived connection (a monitor walking
 * every session, an Ansible module calling in a loop) may issue calls back to back,
 * and after a GC or scheduling stall of about a second it catches up in a burst. The
 * daemon serves 30 000+ calls/s (bench/RESULTS.md, daemon-api), so 1000/s with a burst
 * of 1000 only stops a runaway client, and 512 connections let `xargs -P`/Ansible
 * forks run many tsiscsiadm processes at once. A refused call is RATE_LIMITED
 * (retryable): wait ~50 ms and retry (docs/control-api.md).
 */
export const DEFAULT_LIMITS: ControlLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxInFlight: 32,
  maxRequestsPerSecond: 1000,
  abuseRejectionsPerSecond: 5000,
  maxQueuedEvents: 1024,
  maxSubscriptions: 16,
  maxConnections: 512,
  helloTimeoutMs: 10_000,
};

/** Merge overrides into the defaults, rejecting nonsense values. */
export function resolveLimits(overrides: Partial<ControlLimits> = {}): ControlLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`control limit ${key} must be a positive number, got ${String(value)}`);
  }
  return limits;
}

/** Classic token bucket on an injected monotonic clock: `rate` tokens/s, capacity `rate`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly clock: Clock, private readonly rate: number, private readonly capacity = rate) {
    this.tokens = capacity;
    this.last = clock.now();
  }

  /** Take one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Counts events in fixed one-second windows. */
export class WindowCounter {
  private windowStart: number;
  private count = 0;

  constructor(private readonly clock: Clock) {
    this.windowStart = clock.now();
  }

  /** Count one event; returns the count in the current window. */
  hit(): number {
    const now = this.clock.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count;
  }
}
