// One emulated robot node: the real firmware on an emulated ATmega328P, with motors, encoders, servos, pots and switches on its pins.
// Over 300 lines on purpose: what is left is the per-node glue from wiring to pins and snapshots; each plant model is
// apart in plant/, the CPU in avr.ts, the worker thread in worker-node.ts.
import { z } from 'zod';
import type { Board } from '../hw/board.ts';
import type { MotorWiring, NodeWiring } from '../hw/robot.ts';
import { AvrMcu } from './avr.ts';
import { PinMeter } from './pin-meter.ts';
import { bridgeDirection, bridgeDrive, type Direction } from './plant/hbridge.ts';
import { DcMotorPlant, type Drive } from './plant/motor.ts';
import { QuadratureEncoder } from './plant/encoder.ts';
import { ServoPlant } from './plant/servo.ts';
import { SwitchPlant } from './plant/switch.ts';
import type { MotorSnapshot, NodeSnapshot } from './snapshot.ts';
import { EmulatorTransport, type UsartPipe } from './transport.ts';
import { resolvePin, type ResolvedPin } from './wiring.ts';

/**
 * Wiring faults of one motor that the robot file does not show: the host has to find them (calibration).
 * They model the usual bring-up mistakes: leads or encoder channels crossed, and a joint that powers up anywhere.
 */
export const MotorFaultsSchema = z.strictObject({
  /** [rad] output angle at power-up, replacing the robot file's plant.initial_rad (an unknown zero offset). */
  initial_rad: z.number().finite().optional(),
  /** Motor leads crossed at the H-bridge: the same drive turns the shaft the other way. */
  swap_motor_leads: z.boolean().default(false),
  /** Encoder A and B crossed: the firmware counts the other way. */
  swap_encoder_channels: z.boolean().default(false),
});
export type MotorFaults = z.input<typeof MotorFaultsSchema>;
/** Joint name -> its hidden faults. */
export const PlantFaultsSchema = z.record(z.string(), MotorFaultsSchema);
export type PlantFaults = z.input<typeof PlantFaultsSchema>;

export interface NodeOptions {
  wiring: NodeWiring;
  board: Board;
  /** Flash image of the firmware (see firmware.ts loadFirmware). */
  flash: Uint8Array;
  /** EEPROM at power-on (e.g. with the node id provisioned); default erased. */
  eeprom?: Uint8Array;
  /** [us] longest slice between plant updates (encoder edges shorten it). Default 100. */
  maxSlice_us?: number;
  /** Per-tick avr8js timers instead of event-skipping ones (slow; for equivalence checks). */
  stockTimers?: boolean;
  /** Hidden wiring faults by joint name (only this node's joints). */
  faults?: PlantFaults;
}

/** [rad] a limit switch closes this close to its hard stop. */
export const LIMIT_MARGIN_RAD = 0.02;
/** [us] gap between catch-up encoder edges when the pins lag the shaft (longer than any firmware's PCINT handler). */
const CATCH_UP_US = 10;

interface MotorSim {
  w: MotorWiring;
  plant: DcMotorPlant;
  enc: QuadratureEncoder;
  encStart: number;
  /** +1, or -1 when the firmware inverts the encoder or the channels are crossed: the firmware's count frame. */
  sign: number;
  /** Hidden faults (all off by default). */
  faults: z.output<typeof MotorFaultsSchema>;
  pwm: ResolvedPin;
  in1: ResolvedPin;
  in2: ResolvedPin | null;
  encA: ResolvedPin;
  encB: ResolvedPin;
  limNeg: { pin: ResolvedPin; sw: SwitchPlant } | null;
  limPos: { pin: ResolvedPin; sw: SwitchPlant } | null;
  dir: Direction;
}

interface ServoSim {
  index: number;
  joint: string;
  pin: ResolvedPin;
  plant: ServoPlant;
}

interface InputSim {
  index: number;
  name: string;
  role: 'plain' | 'estop';
  pin: ResolvedPin;
  sw: SwitchPlant;
}

interface AnalogSim {
  index: number;
  name: string;
  pin: ResolvedPin;
  volts: number;
}

/** [us] after the line goes quiet, the firmware may still be parsing a frame and starting its reply (a pong takes
 * ~30 us of cycles; a tick can delay it by one control step, ~100-300 us under load). */
const ANSWER_WINDOW_US = 400;

export class EmulatedNode {
  readonly id: string;
  readonly mcu: AvrMcu;
  readonly clock_hz: number;
  /** The serial link to the firmware, as a host session uses it. */
  readonly transport: EmulatorTransport;
  private readonly meters: PinMeter[] = [];
  private readonly motors: MotorSim[];
  private readonly servos: ServoSim[];
  private readonly inputs: InputSim[];
  private readonly analog: AnalogSim[];
  private readonly maxSliceCycles: number;
  private readonly catchUpCycles: number;
  private plantCycles = 0;
  private txChunk: number[] = [];
  private txListeners = new Set<(bytes: Uint8Array) => void>();
  private running = false;

  constructor(readonly opts: NodeOptions) {
    const { wiring, board } = opts;
    this.id = wiring.id;
    this.mcu = new AvrMcu({ flash: opts.flash, eeprom: opts.eeprom, clock_hz: board.clock_hz, hostBaud: board.baud, stockTimers: opts.stockTimers });
    this.clock_hz = this.mcu.clock_hz;
    this.maxSliceCycles = Math.round(((opts.maxSlice_us ?? 100) * this.clock_hz) / 1e6);
    this.catchUpCycles = Math.round((CATCH_UP_US * this.clock_hz) / 1e6);
    for (let pin = 0; pin < 32; pin++) this.meters.push(new PinMeter());
    this.mcu.onPinChange((pin, high, cycles) => this.meters[pin]!.edge(high, cycles));
    this.mcu.onTx((byte) => this.txChunk.push(byte));

    const pin = (name: string, what: string) => resolvePin(board, name, `node ${wiring.id} ${what}`);
    const faults = PlantFaultsSchema.parse(opts.faults ?? {});
    for (const joint of Object.keys(faults)) {
      if (!wiring.motors.some((m) => m.joint === joint)) throw new Error(`node ${wiring.id}: faults for "${joint}", which is not one of its motors (${wiring.motors.map((m) => m.joint).join(', ') || 'none'})`);
    }
    this.motors = wiring.motors.map((w) => {
      const f = faults[w.joint] ?? MotorFaultsSchema.parse({});
      const plant = new DcMotorPlant({ ...w.plant, initial_rad: f.initial_rad ?? w.plant.initial_rad }, w.gear_ratio);
      const enc = new QuadratureEncoder(w.encoder_cpr, 0);
      enc.emitted = Math.floor(enc.position(plant.motor_rad));
      const m: MotorSim = {
        w,
        plant,
        enc,
        encStart: enc.emitted,
        sign: (w.invert_encoder ? -1 : 1) * (f.swap_encoder_channels ? -1 : 1),
        faults: f,
        pwm: pin(w.pwm, `motor ${w.index} pwm`),
        in1: pin(w.in1, `motor ${w.index} in1`),
        in2: w.in2 ? pin(w.in2, `motor ${w.index} in2`) : null,
        encA: pin(w.enc_a, `motor ${w.index} enc_a`),
        encB: pin(w.enc_b, `motor ${w.index} enc_b`),
        limNeg: w.limit_neg ? { pin: pin(w.limit_neg, `motor ${w.index} limit_neg`), sw: new SwitchPlant(true) } : null,
        limPos: w.limit_pos ? { pin: pin(w.limit_pos, `motor ${w.index} limit_pos`), sw: new SwitchPlant(true) } : null,
        dir: 'coast',
      };
      this.applyEncoder(m);
      return m;
    });
    this.servos = wiring.servos.map((s) => {
      const sim: ServoSim = { index: s.index, joint: s.joint, pin: pin(s.pin, `servo ${s.index}`), plant: new ServoPlant() };
      this.meters[sim.pin.pin]!.pulses((width, end) => sim.plant.pulse((width * 1e6) / this.clock_hz, (end * 1e6) / this.clock_hz));
      return sim;
    });
    this.inputs = wiring.inputs.map((i) => ({
      index: i.index,
      name: i.name,
      role: i.role,
      pin: pin(i.pin, `input ${i.name}`),
      sw: new SwitchPlant(i.active_low),
    }));
    this.analog = wiring.analog.map((a) => {
      const p = pin(a.pin, `analog ${a.name}`);
      if (p.adcChannel === null) throw new Error(`node ${wiring.id} analog ${a.name}: pin ${a.pin} has no ADC`);
      return { index: a.index, name: a.name, pin: p, volts: 0 };
    });
    this.updateSwitches();
    this.mcu.onPullupChange(() => this.updateSwitches());

    const pipe: UsartPipe = {
      toMcu: (bytes) => this.mcu.writeRx(bytes),
      fromMcu: (l) => {
        this.txListeners.add(l);
        return () => this.txListeners.delete(l);
      },
      onFailure: () => () => {},
    };
    this.transport = new EmulatorTransport(`emulator:${this.id}`, pipe);
  }

  /**
   * True while a byte is on the serial line or was within the last ANSWER_WINDOW_US: the firmware is receiving,
   * answering or sending, so a pacer should track the wall clock closely (see RealtimePacer.ioActive).
   */
  ioActive(): boolean {
    return this.mcu.cycles < this.mcu.lineBusyUntil + (ANSWER_WINDOW_US * this.clock_hz) / 1e6;
  }

  get cycles(): number {
    return this.mcu.cycles;
  }

  /** The pacer skipped emulated time here (RealtimePacer): host bytes waiting for a later cycle come sooner. */
  skipped(cycles: number): void {
    this.mcu.skipped(cycles);
  }

  /** [ms] emulated time since power-on. */
  get time_ms(): number {
    return (this.mcu.cycles * 1000) / this.clock_hz;
  }

  /** Run `ms` of emulated time as fast as the host can (synchronous). */
  runFor(ms: number): void {
    this.runUntilCycles(this.mcu.cycles + Math.round((ms * this.clock_hz) / 1000));
  }

  /** Run until the CPU clock reaches `target` cycles, in slices bounded by plant events. */
  runUntilCycles(target: number): void {
    if (this.running) throw new Error(`node ${this.id}: runFor called from inside a listener`);
    this.running = true;
    try {
      while (this.mcu.cycles < target) {
        const now = this.mcu.cycles;
        let end = Math.min(target, now + this.maxSliceCycles);
        for (const m of this.motors) {
          const counts = m.enc.position(m.plant.motor_rad);
          const cps = m.enc.position(m.plant.motor_rad_s);
          end = Math.min(end, now + m.enc.cyclesToNextEdge(counts, cps, now, this.clock_hz, this.catchUpCycles));
        }
        this.mcu.runUntil(end);
        this.updatePlants();
        this.flushTx();
      }
    } finally {
      this.running = false;
    }
  }

  private updatePlants(): void {
    const now = this.mcu.cycles;
    const dt_s = (now - this.plantCycles) / this.clock_hz;
    this.plantCycles = now;
    for (const m of this.motors) {
      const duty = this.meters[m.pwm.pin]!.takeAverage(now);
      m.dir = bridgeDirection(this.meters[m.in1.pin]!.high, m.in2 ? this.meters[m.in2.pin]!.high : null);
      m.plant.step(dt_s, this.drive(m, duty));
      if (m.enc.update(m.enc.position(m.plant.motor_rad), now, this.clock_hz)) this.applyEncoder(m);
    }
    const t_us = (now * 1e6) / this.clock_hz;
    for (const s of this.servos) s.plant.update(t_us);
    this.updateSwitches();
  }

  /** What the winding sees: the bridge output, reversed when the leads are crossed. */
  private drive(m: MotorSim, duty: number): Drive {
    const d = bridgeDrive(m.w.driver.part, m.dir, duty, m.w.plant.supply_v);
    return m.faults.swap_motor_leads ? { volts_v: -d.volts_v, closed: d.closed } : d;
  }

  private applyEncoder(m: MotorSim): void {
    const [a, b] = m.enc.levels();
    // Crossed channels put B's signal on the A pin and vice versa: the quadrature sequence runs backwards.
    this.mcu.setInput(m.encA.pin, m.faults.swap_encoder_channels ? b : a);
    this.mcu.setInput(m.encB.pin, m.faults.swap_encoder_channels ? a : b);
  }

  private updateSwitches(): void {
    for (const m of this.motors) {
      const stops = m.w.plant.hard_stops_rad;
      if (!stops) continue;
      const out = m.plant.output_rad;
      if (m.limNeg) m.limNeg.sw.closed = out <= stops[0] + LIMIT_MARGIN_RAD;
      if (m.limPos) m.limPos.sw.closed = out >= stops[1] - LIMIT_MARGIN_RAD;
      for (const l of [m.limNeg, m.limPos]) if (l) this.mcu.setInput(l.pin.pin, l.sw.level(this.mcu.pullupOn(l.pin.pin)));
    }
    for (const i of this.inputs) this.mcu.setInput(i.pin.pin, i.sw.level(this.mcu.pullupOn(i.pin.pin)));
  }

  private flushTx(): void {
    if (this.txChunk.length === 0) return;
    const bytes = Uint8Array.from(this.txChunk);
    this.txChunk = [];
    for (const l of this.txListeners) l(bytes);
  }

  /** Bytes the MCU transmitted, delivered after each slice (the Transport uses this too). Returns unsubscribe. */
  onTx(listener: (bytes: Uint8Array) => void): () => void {
    this.txListeners.add(listener);
    return () => this.txListeners.delete(listener);
  }

  // ---- control ----

  private input(name: string): InputSim {
    const i = this.inputs.find((x) => x.name === name);
    if (!i) throw new Error(`node ${this.id} has no input "${name}" (it has ${this.inputs.map((x) => x.name).join(', ') || 'none'})`);
    return i;
  }

  /** Close or open a switch contact on a named input (button, e-stop). */
  setInput(name: string, closed: boolean): void {
    this.input(name).sw.closed = closed;
    this.updateSwitches();
  }

  pressButton(name: string): void {
    this.setInput(name, true);
  }

  releaseButton(name: string): void {
    this.setInput(name, false);
  }

  private setEstops(closed: boolean): void {
    const estops = this.inputs.filter((i) => i.role === 'estop');
    if (estops.length === 0) throw new Error(`node ${this.id} has no e-stop input`);
    for (const i of estops) i.sw.closed = closed;
    this.updateSwitches();
  }

  pressEstop(): void {
    this.setEstops(true);
  }

  releaseEstop(): void {
    this.setEstops(false);
  }

  /** [V] set a potentiometer wiper (0..5 V), by analog name or index. */
  setPot(which: string | number, volts: number): void {
    const a = this.analog.find((x) => x.name === which || x.index === which);
    if (!a) throw new Error(`node ${this.id} has no analog input ${JSON.stringify(which)}`);
    if (!(volts >= 0 && volts <= 5)) throw new RangeError(`pot voltage ${volts} V is outside 0..5 V`);
    a.volts = volts;
    this.mcu.setAdcVolts(a.pin.adcChannel!, volts);
  }

  /**
   * Drive a motor's encoder pins at a fixed edge rate (signed edges/s, e.g. 5000), independent of the
   * motor model, for load tests; null returns the pins to the shaft.
   */
  driveEncoder(motorIndex: number, edges_per_s: number | null): void {
    const m = this.motor(motorIndex);
    m.enc.driveAt(edges_per_s, this.mcu.cycles, this.clock_hz, m.enc.position(m.plant.motor_rad));
  }

  // ---- inspection ----

  private motor(index: number): MotorSim {
    const m = this.motors.find((x) => x.w.index === index);
    if (!m) throw new Error(`node ${this.id} has no motor ${index}`);
    return m;
  }

  /**
   * The PWM duty (0..1) on a board pin over its last complete period, or its steady level once it has not toggled for
   * `stale_ms` (default 5 ms: several periods of any PWM or servo signal; the firmware's 7.8 kHz motor PWM needs far less).
   */
  pinDuty(name: string, stale_ms = 5): number {
    const p = resolvePin(this.opts.board, name, `node ${this.id}`);
    return this.meters[p.pin]!.duty(this.mcu.cycles, (this.clock_hz * stale_ms) / 1000);
  }

  /**
   * The cycle from which a board pin has been low, if it has stayed low for at least `stale_ms` (no PWM left on it);
   * -1 when it never changed; null while it is high or still toggling.
   */
  pinLowSince(name: string, stale_ms: number): number | null {
    const p = resolvePin(this.opts.board, name, `node ${this.id}`);
    const m = this.meters[p.pin]!;
    if (m.high || this.mcu.cycles - m.lastEdge < (this.clock_hz * stale_ms) / 1000) return null;
    return m.lastEdge;
  }

  pinLevel(name: string): boolean {
    return this.mcu.pinLevel(resolvePin(this.opts.board, name, `node ${this.id}`).pin);
  }

  motorState(index: number): MotorSnapshot {
    const m = this.motor(index);
    const duty = this.meters[m.pwm.pin]!.duty(this.mcu.cycles, this.clock_hz / 200);
    // Inspection shows the last full PWM period (a slice may see only part of one); the plant uses slice averages.
    const volts = this.drive(m, duty).volts_v;
    return {
      index: m.w.index,
      joint: m.w.joint,
      joint_rad: m.sign * m.plant.output_rad,
      joint_rad_s: m.sign * m.plant.output_rad_s,
      output_rad: m.plant.output_rad,
      encoder_counts: m.sign * (m.enc.emitted - m.encStart),
      current_a: m.plant.current_a,
      voltage_v: volts,
      pwm_duty: duty,
      direction: m.dir,
      at_stop: m.plant.atStop,
      limit_neg_closed: m.limNeg?.sw.closed ?? false,
      limit_pos_closed: m.limPos?.sw.closed ?? false,
      encoder_forced: m.enc.forced,
    };
  }

  snapshot(): NodeSnapshot {
    const t_us = (this.mcu.cycles * 1e6) / this.clock_hz;
    const pins: NodeSnapshot['pins'] = {};
    for (const name of Object.keys(this.opts.board.pins)) pins[name] = this.mcu.pinMode(resolvePin(this.opts.board, name, '').pin);
    return {
      id: this.id,
      time_ms: this.time_ms,
      cycles: this.mcu.cycles,
      resets: this.mcu.resets,
      baud_errors: this.mcu.baudErrors,
      motors: this.motors.map((m) => this.motorState(m.w.index)),
      servos: this.servos.map((s) => ({ index: s.index, joint: s.joint, pulse_us: s.plant.pulse_us, angle_rad: s.plant.angle_rad, limp: s.plant.limp(t_us) })),
      analog: this.analog.map((a) => ({ index: a.index, name: a.name, volts: a.volts })),
      inputs: this.inputs.map((i) => ({ index: i.index, name: i.name, closed: i.sw.closed, level: this.mcu.pinLevel(i.pin.pin) })),
      pins,
    };
  }
}
