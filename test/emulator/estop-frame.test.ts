// The estop message on the real firmware in emulated time: zero PWM on the pin within microseconds of the frame's last
// byte, whatever its seq and without consuming one, latched until arm like the e-stop input.
import t from 'tap';
import { CONSTANTS } from '../../host/protocol/messages.ts';
import { encodeFrame } from '../../host/protocol/frame.ts';
import { encodeMessage } from '../../host/protocol/codec.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';
import { bootNode, holdMotors, type Booted } from './boot-node.ts';

/**
 * [cycles] the frame must take effect within this of its last byte: 300 us at 16 MHz. The frame is acted on in the
 * main loop's RX/dispatch path, which first finishes the control step in progress (PID, telemetry encoding); measured
 * 763..4431 cycles (48..277 us) over ten phases of the tick with 2 motors and 200 Hz telemetry (751..3970 before the
 * applied-frame sums of the link fault work joined the frame path).
 */
const BOUND_CYCLES = 4800;
const FULL = { 0: { mode: 'PWM' as const, value: 1000 } };

/** [cycles] one period of the firmware's 7.8 kHz PWM (clk/8, 256 steps). */
const PWM_PERIOD_CYCLES = 2048;

/**
 * Boots the base, armed, motor 0 at full duty: its PWM pin is high but for a one-cycle dip each period (the emulated
 * timer at OCR = TOP), so the e-stop shows as the fall after which the pin never rises again.
 */
function driving(): Booted & { pwmPin: number; edges: { high: boolean; cycles: number }[] } {
  const b = bootNode('base');
  const pwmPin = resolvePin(b.board, b.wiring.motors[0]!.pwm, 'base').pin;
  // Edges from before the drive starts: "still pulsing" looks two PWM periods back from the frame's last byte, which
  // for an early phase reaches back past the end of the hold below.
  const edges: { high: boolean; cycles: number }[] = [];
  b.node.mcu.onPinChange((pin, high, cycles) => {
    if (pin === pwmPin) edges.push({ high, cycles });
  });
  b.link.configure(b.wiring, b.board);
  holdMotors(b, 50, FULL);
  return { ...b, pwmPin, edges };
}

/** Writes one estop frame when the RX line is idle; returns the cycle its last byte's stop bit ends (exact). */
function sendEstop(b: Booted, seq: number): number {
  const frame = encodeFrame(seq, encodeMessage('estop', {}));
  const cyclesPerByte = (10 * b.board.clock_hz) / b.board.baud;
  const start = b.node.mcu.cycles;
  b.node.mcu.writeRx(frame);
  return start + frame.length * cyclesPerByte;
}

t.test('an estop frame zeroes the PWM pin within 300 us of its last byte, at any phase of the control tick', (t) => {
  const worst: number[] = [];
  // Ten phases across the 1 ms tick (16,000 cycles): the frame may land while a control step runs, which the main
  // loop finishes before it reads the frame (see BOUND_CYCLES).
  for (let phase = 0; phase < 10; phase++) {
    const b = driving();
    b.node.runUntilCycles(b.node.mcu.cycles + phase * 1600 + 37);
    t.equal(b.node.pinLevel(b.wiring.motors[0]!.pwm), true, 'full duty: the pin is high before the e-stop');
    t.equal(b.node.pinLowSince(b.wiring.motors[0]!.pwm, 0.5), null, 'not low while it is driven');
    const lastByteEnd = sendEstop(b, 0x42); // not the expected seq: the e-stop must not care
    // The frame is still arriving just before its computed end (the computation is exact).
    b.node.runUntilCycles(lastByteEnd - 8);
    t.equal(b.node.mcu.lineBusyUntil, Infinity, 'the last byte is on the line');
    t.ok(b.edges.some((e) => e.high && e.cycles > lastByteEnd - 8 - 2 * PWM_PERIOD_CYCLES), 'still pulsing just before the last byte');
    b.node.runUntilCycles(lastByteEnd + 16_000 + 4 * PWM_PERIOD_CYCLES);
    const last = b.edges.at(-1)!;
    t.equal(last.high, false, 'the pin fell and did not rise again');
    const latency = last.cycles - lastByteEnd;
    worst.push(latency);
    t.ok(latency >= 0 && latency <= BOUND_CYCLES, `phase ${phase}: zero PWM ${latency} cycles (${(latency / 16).toFixed(1)} us) after the last byte`);
    b.node.runFor(5);
    t.equal(b.node.pinLevel(b.wiring.motors[0]!.pwm), false, 'and stays low');
    t.equal(b.node.pinDuty(b.wiring.motors[0]!.pwm, 0.5), 0, 'zero duty on the meter');
    t.equal(b.node.pinLowSince(b.wiring.motors[0]!.pwm, 0.5), last.cycles, 'low since its falling edge (what the e-stop bench stamps)');
  }
  t.comment(`estop frame -> zero PWM: worst ${Math.max(...worst)} cycles over 10 phases (${worst.join(', ')})`);
  t.end();
});

t.test('the e-stop latches like the input: set_motors ignored, ESTOP fault and event, re-armed only by arm', (t) => {
  const b = driving();
  const seqErrors0 = b.link.last('status')!.seq_errors;
  sendEstop(b, 0x99);
  holdMotors(b, 30, FULL);
  t.equal(b.node.motorState(0).pwm_duty, 0, 'setpoints after the e-stop are ignored');
  const tel = b.link.last('telemetry')!;
  t.ok(tel.faults & CONSTANTS.FAULT.ESTOP, 'ESTOP fault');
  t.ok(tel.faults & CONSTANTS.FAULT.DISARMED, 'disarmed');
  t.ok(b.link.all('event').some((e) => e.code === CONSTANTS.EVENT.ESTOP), 'ESTOP event (the host\'s confirmation)');
  // The sequenced frames around it were all applied: the e-stop consumed no seq and caused no seq error.
  t.equal(b.link.last('status')!.seq_errors, seqErrors0, 'no seq error: the estop frame took no seq');
  holdMotors(b, 30, FULL);
  t.equal(b.node.motorState(0).pwm_duty, 0, 'still off: nothing but arm re-enables');
  b.link.send('arm', {});
  holdMotors(b, 30, FULL);
  t.ok(b.node.motorState(0).pwm_duty > 0.95, 're-armed by arm');
  t.notOk(b.link.last('telemetry')!.faults & CONSTANTS.FAULT.ESTOP, 'arm clears the latch');
  t.end();
});

t.test('arm is still refused while the e-stop input is held, after an estop frame', (t) => {
  const b = driving();
  b.node.pressEstop();
  sendEstop(b, 0x10);
  holdMotors(b, 20, FULL);
  b.link.send('arm', {});
  holdMotors(b, 20, FULL);
  t.equal(b.node.motorState(0).pwm_duty, 0, 'not re-armed while the input is held');
  t.ok(b.link.all('error').some((e) => e.code === CONSTANTS.ERR.BAD_VALUE), 'arm refused (BAD_VALUE)');
  b.node.releaseEstop();
  b.node.runFor(5); // the input is sampled in the 1 kHz safety tick
  b.link.send('arm', {});
  holdMotors(b, 30, FULL);
  t.ok(b.node.motorState(0).pwm_duty > 0.95, 're-armed after release');
  t.end();
});
