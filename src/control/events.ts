/**
 * Event delivery to one connection's subscriptions.
 *
 * The daemon publishes an event once; each matching subscription gets a JSON-RPC
 * notification line. Lines go straight to the socket while it keeps up; when the
 * socket reports backpressure they wait in one bounded queue per connection. When
 * the queue is full the oldest line is dropped and its subscription's `dropped`
 * counter grows; before that subscription's next event (or when the queue empties)
 * the peer gets `{"type":"dropped","count":N}` so it knows it missed N events.
 * Memory per connection is therefore bounded by `maxQueued` lines.
 */
import { eventLine } from './protocol.js';

/** An event as published by the daemon: a JSON object with a string `type`. */
export interface ControlEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Type of the event that reports lost events. */
export const DROPPED_EVENT = 'dropped';

/** Where the outbox writes. */
export interface OutboxSink {
  /** True when a line can be written now without piling up in the socket buffer. */
  writable(): boolean;
  write(line: string): void;
}

interface Subscription {
  readonly id: string;
  /** Event types wanted; undefined = all. */
  readonly types: ReadonlySet<string> | undefined;
  dropped: number;
}

interface Queued {
  readonly sub: Subscription;
  readonly line: string;
}

/** A FIFO with O(1) shift (array plus head index, compacted now and then). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  filter(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter(keep);
    this.head = 0;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/** The subscriptions of one connection and their pending event lines. */
export class EventOutbox {
  private readonly subs = new Map<string, Subscription>();
  private readonly queue = new Fifo<Queued>();
  private nextId = 1;
  /** Ids handed out whose subscription is not active yet. */
  private reserved = 0;
  private droppedTotal = 0;

  constructor(private readonly sink: OutboxSink, private readonly maxQueued: number) {}

  /** Active subscriptions plus ids handed out and not yet activated. */
  get subscriptionCount(): number {
    return this.subs.size + this.reserved;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Events dropped on this connection since it opened. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** A fresh subscription id (activate it once the client has been told the id). */
  newId(): string {
    this.reserved++;
    return `s${this.nextId++}`;
  }

  /** Start delivering events of `types` (all when undefined) under `id`. */
  activate(id: string, types: readonly string[] | undefined): void {
    if (this.reserved > 0) this.reserved--;
    this.subs.set(id, { id, types: types === undefined ? undefined : new Set(types), dropped: 0 });
  }

  /** Stop a subscription and forget its queued lines; false if unknown. */
  remove(id: string): boolean {
    const sub = this.subs.get(id);
    if (sub === undefined) return false;
    this.subs.delete(id);
    this.queue.filter((q) => q.sub !== sub);
    return true;
  }

  /** Offer one published event (`eventJson` is its serialized form). */
  offer(type: string, eventJson: string): void {
    for (const sub of this.subs.values()) {
      if (sub.types !== undefined && !sub.types.has(type)) continue;
      const line = eventLine(sub.id, eventJson);
      if (this.queue.length === 0 && this.sink.writable()) {
        if (sub.dropped > 0) this.writeDropped(sub);
        this.sink.write(line);
      } else {
        this.enqueue({ sub, line });
      }
    }
  }

  /** Write queued lines while the sink accepts them (call on socket 'drain'). */
  flush(): void {
    while (this.queue.length > 0 && this.sink.writable()) {
      const q = this.queue.shift()!;
      if (q.sub.dropped > 0) this.writeDropped(q.sub);
      this.sink.write(q.line);
    }
    if (this.queue.length > 0) return;
    for (const sub of this.subs.values()) {
      if (!this.sink.writable()) return;
      if (sub.dropped > 0) this.writeDropped(sub);
    }
  }

  /** Forget everything (connection closed). */
  clear(): void {
    this.subs.clear();
    this.queue.clear();
  }

  private enqueue(q: Queued): void {
    this.queue.push(q);
    if (this.queue.length <= this.maxQueued) return;
    const oldest = this.queue.shift()!;
    oldest.sub.dropped++;
    this.droppedTotal++;
  }

  private writeDropped(sub: Subscription): void {
    this.sink.write(eventLine(sub.id, JSON.stringify({ type: DROPPED_EVENT, count: sub.dropped })));
    sub.dropped = 0;
  }
}
