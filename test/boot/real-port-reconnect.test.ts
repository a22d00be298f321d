// A real board yanked away and brought back, through the path `ganglion run` opens real ports with (planNodes, openLinks, connectSessions; the posix firmware
// on a pty behind a stable symlink, as a USB serial device comes back at its old path): the session reconnects without
// a host restart, the board is left disarmed and that is logged, and the operator's explicit re-arm works and is logged.
import t from 'tap';
import path from 'node:path';
import { renameSync, symlinkSync } from 'node:fs';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { armAll } from '../../host/runtime/arming.ts';
import { connectSessions, openLinks, planNodes, REARM_AFTER_RECONNECT } from '../../host/boot/links.ts';
import { loadRobot } from '../../host/hw/robot.ts';
import { asPosixBoard } from '../../host/link/posix-mcu.ts';
import { SerialTransport } from '../../host/link/serial.ts';
import type { Test } from 'tap';
import { startMcu, tempDir, until } from '../link/helpers/posix.ts';

const F = CONSTANTS.FAULT;

/** The reference robot's base alone, on `link`: as `ganglion run --port base=LINK` (sim: posix for `asSim`) plans it. */
async function runPath(t: Test, link: string, say: (l: string) => void, asSim = false) {
  const full = loadRobot();
  const robot = { ...full, nodes: full.nodes.filter((n) => n.id === 'base') };
  // The board behind the port is the posix firmware build: its profile says so (the identity check compares MCU types).
  const plans = planNodes(robot, { ports: new Map([['base', link]]), filePorts: true })
    .map((p) => ({ ...p, board: asPosixBoard(p.board), ...(asSim ? { kind: 'posix' as const } : {}) }));
  // A posix plan would start its own firmware: the emulated case reuses the one behind the symlink instead.
  const links = asSim ? null : await openLinks(robot, plans, { realtime: true, log: say });
  if (links) t.teardown(() => links.close());
  const transports = links?.transports ?? new Map([['base', SerialTransport.forBoard(link, plans[0]!.board)]]);
  const sessions = await connectSessions(plans, transports, { log: say });
  const s = sessions.get('base')!;
  t.teardown(() => s.close());
  return { s, kind: plans[0]!.kind };
}

function repoint(link: string, target: string): void {
  const tmp = `${link}.new`;
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}

/** A posix MCU behind a device path named `name` (a symlink we can repoint, as a cable pulled and plugged back). */
async function plugIn(t: Test, name: string) {
  const dir = tempDir(t);
  const eeprom = path.join(dir, 'eeprom.bin');
  const link = path.join(dir, name);
  const first = await startMcu(t, eeprom);
  repoint(link, first.ptyPath!);
  return { eeprom, link, first };
}

t.test('real port: unplugged and plugged back -> reconnected, disarmed, logged; an explicit re-arm works', async (t) => {
  t.equal(REARM_AFTER_RECONNECT.serial, null, 'nobody re-arms a real board by default');
  const { eeprom, link, first } = await plugIn(t, 'ttyUSB0');
  const lines: string[] = [];
  const { s, kind } = await runPath(t, link, (l) => lines.push(l));
  t.equal(kind, 'serial', 'planned as a real board on a serial port');
  t.match(lines.join('\n'), /\[base\] .*ttyUSB0: Ganglion firmware \d+\.\d+/, 'identified on the real-port path');
  await s.arm('ganglion run at start-up');
  await until('armed', () => s.mcuState !== null && !(s.mcuState.faults & F.DISARMED));

  await first.stop(); // the cable pulled: the device node goes away with the firmware behind it
  await until('link lost', () => lines.some((l) => /\[base\] link lost/.test(l)), 10000);
  const second = await startMcu(t, eeprom);
  repoint(link, second.ptyPath!); // plugged back in: the same path, a freshly reset board
  await until('reconnected', () => s.state === 'connected', 15000);
  await until('telemetry from the new firmware', () => s.mcuState !== null && !(s.mcuState.faults & F.UNCONFIGURED));
  t.ok(s.mcuState!.faults & F.DISARMED, 'left disarmed');
  t.ok(s.awaitingRearm, 'the session says it waits for a re-arm');
  t.equal(s.stats().reconnects, 1, 'reconnected without a host restart');
  const log = lines.join('\n');
  t.match(log, /\[base\] link .*: back after a reconnect and left disarmed: nobody has decided to re-arm it \(re-arm from the dashboard or cmd\/arm\)/);
  t.match(log, /\[base\] link back, left disarmed until re-armed/);
  t.notMatch(log, /re-arming after a reconnect/, 'nobody re-armed it');
  // Stays so: no timer or retry re-arms it behind the operator's back.
  await new Promise((r) => setTimeout(r, 1000));
  t.ok(s.mcuState!.faults & F.DISARMED, 'still disarmed a second later');

  // The operator's re-arm (the bridge's cmd/arm goes through RobotRuntime.arm -> armAll with who sent it).
  await armAll(new Map([['base', s]]), 5000, 'op (cmd/arm)');
  await until('re-armed', () => !(s.mcuState!.faults & F.DISARMED));
  t.match(lines.join('\n'), /\[base\] link .*: re-arming after a reconnect, decided by op \(cmd\/arm\)/, 'the decision is logged with who took it');
  t.notOk(s.awaitingRearm);
  t.ok((await s.ping()) > 0, 'and the link works');
});

t.test('an emulated node is re-armed after a reconnect by the demo, logged as its decision', async (t) => {
  const { eeprom, link, first } = await plugIn(t, 'ttyPOSIX0');
  const lines: string[] = [];
  const { s } = await runPath(t, link, (l) => lines.push(l), true);
  await s.arm();
  await until('armed', () => s.mcuState !== null && !(s.mcuState.faults & F.DISARMED));
  await first.stop();
  await until('link lost', () => lines.some((l) => /link lost/.test(l)), 10000);
  const second = await startMcu(t, eeprom);
  repoint(link, second.ptyPath!);
  await until('reconnected', () => s.state === 'connected', 15000);
  await until('re-armed', () => s.mcuState !== null && !(s.mcuState.faults & F.DISARMED), 5000);
  // After a reconnect (or a watchdog trip first, on a loaded machine): either way the decision names who took it.
  t.ok(lines.some((l) => /re-arming after (a reconnect|a watchdog trip), decided by /.test(l) && l.endsWith(REARM_AFTER_RECONNECT.posix!)), 'the re-arm is logged as the simulation\'s decision');
});
