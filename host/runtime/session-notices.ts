// What an MCU session says that an operator should read (MCU events, refusals, link drops and returns), as runtime notices.
import type { NodeLink } from '../link/node-link.ts';
import type { RobotEvents } from './control.ts';

export type Notice = RobotEvents['notice'][0];

export function forwardSessionNotices(id: string, s: NodeLink, notice: (n: Notice) => void): void {
  s.on('event', (e) => notice({ level: 'info', source: id, text: e.text }));
  s.on('mcu_error', (e) => notice({ level: 'error', source: id, text: `MCU refused: ${e.text}` }));
  s.on('disconnected', (d) => notice({ level: 'error', source: id, text: `link lost: ${d.reason}; reconnecting` }));
  s.on('reconnected', () => notice(s.awaitingRearm
    ? { level: 'warn', source: id, text: 'link back, left disarmed: nobody has decided to re-arm it (re-arm from the dashboard when it is safe)' }
    : { level: 'info', source: id, text: 'link back' }));
}
