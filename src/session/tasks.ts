/**
 * Initiator Task Tags (§11.2.1.8, J-11): unique session-wide while a task exists,
 * never 0xffffffff. A task table maps ITT -> whatever the session tracks for it.
 */
import { ProtocolError } from '../shared/errors.js';
import { RESERVED_TAG } from '../iscsi/pdu/types.js';

/** Source of fresh tags, shared by every connection of a session so ITTs stay session-wide (J-11). */
export class TagCounter {
  private n: number;
  constructor(first = 1) {
    this.n = first >>> 0;
  }
  /** The next tag, never 0xffffffff. */
  next(): number {
    if (this.n === RESERVED_TAG) this.n = 0;
    const tag = this.n;
    this.n = (this.n + 1) >>> 0;
    return tag;
  }
}

export class TaskTable<T> {
  private readonly tasks = new Map<number, T>();

  constructor(private readonly tags: TagCounter = new TagCounter()) {}

  get size(): number {
    return this.tasks.size;
  }

  /** Allocate a fresh ITT, register the task `make` builds for it, return the ITT. */
  add(make: (itt: number) => T): number {
    let itt = this.tags.next();
    while (this.tasks.has(itt)) itt = this.tags.next();
    this.tasks.set(itt, make(itt));
    return itt;
  }

  values(): IterableIterator<T> {
    return this.tasks.values();
  }

  get(itt: number): T | undefined {
    return this.tasks.get(itt);
  }

  /** The task for a response; a tag that matches nothing is a protocol error (J-13). */
  expect(itt: number, where: string): T {
    const task = this.tasks.get(itt);
    if (task === undefined) {
      throw new ProtocolError('UNKNOWN_ITT', `${where} for ITT 0x${itt.toString(16)} which matches no outstanding task (J-13)`, { where });
    }
    return task;
  }

  delete(itt: number): void {
    this.tasks.delete(itt);
  }

  /** Remove and return every task (connection failure, logout). */
  drain(): T[] {
    const all = [...this.tasks.values()];
    this.tasks.clear();
    return all;
  }
}
