// Interrupts off in the main loop only for a few stores at a time: at 1 Mbaud the USART holds two received bytes
// (320 cycles), and the encoder interrupt can delay the RX interrupt too, so a longer critical section loses a byte.
// Measured on the real firmware in the emulator, instruction by instruction (exact cycles), over configuration
// bursts, moving encoders, setpoints, e-stop and detach/re-attach.
import t from 'tap';
import { elfFor, ensureFirmware, textSymbols } from '../../host/emulator/firmware.ts';
import { bootNode, holdMotors, type Booted } from './boot-node.ts';

/** [words] The ATmega328P's vector table (26 vectors of 2 words): the main loop never runs there. */
const VECTORS_END_WORD = 52;
/**
 * [cycles] The longest the main loop may keep interrupts off. The encoder interrupt (up to ~200 cycles with four
 * encoders moving) may run right before the RX interrupt, and both together must stay under the 320 cycles the
 * USART holds bytes for.
 */
const MAX_OFF_CYCLES = 120;

/**
 * Tracks the longest stretch with the I flag clear outside interrupt handlers, and where it started. "In a handler" is
 * the PC in the vector table or in an __vector_N body: the firmware's ISRs call no function (one that did would show
 * up here as main-loop time with interrupts off, and fail the bound rather than hide).
 */
function watchCriticalSections(b: Booted): { worst: () => { cycles: number; at_pc: number } } {
  const isr = textSymbols(elfFor(ensureFirmware())!).filter((s) => /^__vector_\d+$/.test(s.name) && s.size > 0);
  const inIsr = (pc: number) => pc < VECTORS_END_WORD || isr.some((s) => pc * 2 >= s.address && pc * 2 < s.address + s.size);
  const cpu = b.node.mcu.cpu;
  const tick = cpu.tick.bind(cpu);
  let prevPc = cpu.pc, offFrom = -1, offPc = 0;
  let worst = { cycles: 0, at_pc: 0 };
  cpu.tick = () => {
    tick(); // may enter an interrupt
    const off = !inIsr(cpu.pc) && !(cpu.data[0x5f]! & 0x80);
    if (off && offFrom < 0) {
      offFrom = cpu.cycles;
      offPc = prevPc;
    } else if (!off && offFrom >= 0) {
      if (cpu.cycles - offFrom > worst.cycles) worst = { cycles: cpu.cycles - offFrom, at_pc: offPc * 2 };
      offFrom = -1;
    }
    prevPc = cpu.pc;
  };
  return { worst: () => worst };
}

for (const id of ['base', 'arm', 'leader']) {
  t.test(`node ${id}: the main loop keeps interrupts off for at most a few stores at a time`, (t) => {
    const b = bootNode(id);
    const w = watchCriticalSections(b);
    const { link, node, wiring, board } = b;
    link.configure(wiring, board, { status_div: 1 });
    node.runFor(20);
    for (const m of wiring.motors) if (m.enc_a) node.driveEncoder(m.index, 5000);
    const hold = (mode: 'VELOCITY' | 'POSITION', value: number, ms: number) =>
      holdMotors(b, ms, Object.fromEntries(wiring.motors.map((m) => [m.index, { mode, value }])));
    hold('VELOCITY', 2000, 100);
    for (const s of wiring.servos) link.send('set_servo', { index: s.index, pulse_us: 1500 });
    // Configure again while the encoders move: every channel is detached and attached again.
    link.configure(wiring, board, { status_div: 1 });
    hold('POSITION', 4000, 50);
    link.send('estop', {});
    node.runFor(20);
    const worst = w.worst();
    t.ok(worst.cycles > 0, 'critical sections were seen (the watch works)');
    t.ok(worst.cycles <= MAX_OFF_CYCLES, `longest: ${worst.cycles} cycles, starting at 0x${worst.at_pc.toString(16)} (bound ${MAX_OFF_CYCLES})`);
    t.equal(node.mcu.rxOverruns, 0, 'no received byte was lost');
    t.end();
  });
}
