// Serial port discovery and access checks for `ganglion doctor`: which ports exist, and can this user open them.
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { SerialPort } from 'serialport';
import type { CheckItem } from './checklist.ts';

export const DIALOUT_HINT = 'add yourself to the dialout group (sudo usermod -aG dialout $USER), then log out and in again';

export interface FoundPort {
  path: string;
  /** "FTDI FT232R (A50285BI)": what the OS knows about the adapter, when it knows. */
  description?: string;
}

/** Ports from SerialPort.list() (needs udev), from /dev/ttyUSB* and /dev/ttyACM*, and the ones asked for. */
export async function findPorts(extra: string[] = [], devDir = '/dev'): Promise<FoundPort[]> {
  const found = new Map<string, FoundPort>();
  try {
    for (const p of await SerialPort.list()) {
      const desc = [p.manufacturer, p.serialNumber && `(${p.serialNumber})`].filter(Boolean).join(' ');
      found.set(p.path, { path: p.path, ...(desc ? { description: desc } : {}) });
    }
  } catch {
    // No udev (containers): the /dev scan below still finds USB adapters.
  }
  try {
    for (const name of readdirSync(devDir).sort()) {
      const p = `${devDir}/${name}`;
      if (/^tty(USB|ACM)\d+$/.test(name) && !found.has(p)) found.set(p, { path: p });
    }
  } catch {
    // an unreadable /dev leaves only what was listed or asked for
  }
  for (const p of extra) if (!found.has(p)) found.set(p, { path: p });
  // SerialPort.list() also reports every legacy /dev/ttyS* UART of the mainboard, which are never Ganglion boards.
  return [...found.values()].filter((p) => !/^\/dev\/ttyS\d+$/.test(p.path) || extra.includes(p.path));
}

/** Exists, and readable and writable by this user. Root passes any permission check, which the text says. */
export function portAccess(path: string, isRoot = process.getuid?.() === 0): CheckItem[] {
  try {
    statSync(path);
  } catch {
    return [{ mark: 'fail', text: `${path} does not exist`, hint: 'plug the board in (check the cable carries data), or use the path `ganglion doctor` lists' }];
  }
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return [{ mark: 'ok', text: `${path} exists and is readable and writable${isRoot ? ' (as root, which may open any port)' : ''}` }];
  } catch {
    return [{ mark: 'fail', text: `${path} exists but this user cannot read and write it`, hint: DIALOUT_HINT }];
  }
}

/** Whether the user is in the dialout group, which owns serial ports on Debian and Ubuntu. */
export function dialoutCheck(groups = process.getgroups?.() ?? [], groupFile = '/etc/group', isRoot = process.getuid?.() === 0): CheckItem {
  let gid: number | null = null;
  try {
    const line = readFileSync(groupFile, 'utf8').split('\n').find((l) => l.startsWith('dialout:'));
    if (line) gid = Number(line.split(':')[2]);
  } catch {
    // no /etc/group: say so below
  }
  if (gid === null) return { mark: 'warn', text: 'there is no dialout group on this system', hint: 'check which group owns your serial ports: ls -l /dev/ttyUSB0' };
  if (groups.includes(gid)) return { mark: 'ok', text: 'this user is in the dialout group' };
  if (isRoot) return { mark: 'ok', text: 'running as root: every port is accessible (a normal user needs the dialout group)' };
  return { mark: 'warn', text: 'this user is not in the dialout group', hint: DIALOUT_HINT };
}
