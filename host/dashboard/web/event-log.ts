// The event log: robot events and faults, command replies, refused payloads and connection changes, newest first.
import { el, byId } from './dom.ts';

/** Entries kept on the page; older ones fall off the end. */
const KEEP = 300;

export type LogLevel = 'info' | 'warn' | 'error';

export class EventLog {
  private readonly list = byId<HTMLOListElement>('event-log');

  add(level: LogLevel, kind: string, text: string, at_ms = Date.now()): void {
    const time = new Date(at_ms).toLocaleTimeString(undefined, { hour12: false }) + `.${String(Math.floor(at_ms % 1000)).padStart(3, '0')}`;
    this.list.prepend(el('li', { class: level, 'data-kind': kind }, el('time', {}, time), el('b', {}, kind), ' ', text));
    while (this.list.childElementCount > KEEP) this.list.lastElementChild!.remove();
  }
}
