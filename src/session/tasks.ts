/**
 * Initiator Task Tags (§11.2.1.8, J-11): unique session-wide while a task exists,
 * never 0xffffffff. A task table maps ITT -> whatever the session tracks for it.
 */
import { ProtocolError } from '../shared/errors.js';
import { RESERVED_TAG } from '../iscsi/pdu/types.js';

export class TaskTable<T> {
  private readonly tasks = new Map<number, T>();
  private next: number;

  constructor(first = 1) {
    this.next = first >>> 0;
  }

  get size(): number {
    return this.tasks.size;
  }

  /** Allocate a fresh ITT, register the task `make` builds for it, return the ITT. */
  add(make: (itt: number) => T): number {
    let itt = this.next;
    while (itt === RESERVED_TAG || this.tasks.has(itt)) itt = (itt + 1) >>> 0;
    this.next = (itt + 1) >>> 0;
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
