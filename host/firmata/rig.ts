// A Firmata node's outputs and inputs as johnny-five components (Servo, Motor, Led, Pin, Sensor, Button), built from the robot file.
import type { Board } from '../hw/board.ts';
import type { NodeWiring } from '../hw/robot.ts';
import type { FirmataConnection } from './connect.ts';
import { j5, type Five } from './j5.ts';

type ServoW = NodeWiring['servos'][number];
type MotorW = NodeWiring['open_motors'][number];
type OutputW = NodeWiring['outputs'][number];
/** A digital or PWM output: johnny-five's Pin (high/low) or Led (brightness 0-255). */
type OutputPart = { w: OutputW; pin?: InstanceType<Five['Pin']>; led?: InstanceType<Five['Led']>; permille: number };
/** [degrees] johnny-five's servo travel, mapped onto each servo's min_us..max_us. */
const SERVO_DEG = 180;
/** [V] the Uno's ADC reference. */
const ADC_REF_V = 5;

/** Firmata pin number of a board pin name; the board file says it (firmata_pin), never a guess. */
export function firmataPin(board: Board, name: string, what: string): number {
  const p = board.pins[name];
  if (!p || p.firmata_pin === undefined) throw new Error(`${what}: board ${board.id} has no Firmata pin ${name} (it has ${Object.keys(board.pins).join(', ')})`);
  return p.firmata_pin;
}

/** [deg] for johnny-five's Servo.to, so that its pwmRange mapping puts exactly `us` on the pin. */
export function usToDeg(s: ServoW, us: number): number {
  return ((us - s.min_us) / (s.max_us - s.min_us)) * SERVO_DEG;
}

export class FirmataRig {
  private readonly servos = new Map<number, { w: ServoW; servo: InstanceType<Five['Servo']>; pin: number; us: number; limp: boolean }>();
  private readonly motors = new Map<number, { w: MotorW; motor: InstanceType<Five['Motor']>; permille: number }>();
  private readonly outputs = new Map<number, OutputPart>();
  private readonly sensors = new Map<number, InstanceType<Five['Sensor']>>();
  private readonly buttons = new Map<number, InstanceType<Five['Button']>>();

  constructor(
    readonly conn: FirmataConnection,
    readonly wiring: NodeWiring,
    readonly board: Board,
    /** [ms] how often johnny-five samples analog inputs (Firmata's sampling interval). */
    sensorFreq_ms = 20,
  ) {
    const { five } = j5();
    const b = conn.board;
    const at = (pin: string, what: string) => firmataPin(board, pin, `node ${wiring.id} ${what}`);
    for (const w of wiring.servos) {
      const pin = at(w.pin, `servo ${w.joint}`);
      // No startAt: a servo gets its first pulse from the first command (or from safe()), not from construction.
      const servo = new five.Servo({ board: b, pin, pwmRange: [w.min_us, w.max_us] });
      this.servos.set(w.index, { w, servo, pin, us: 0, limp: false });
    }
    for (const w of wiring.open_motors) {
      const motor = new five.Motor({ board: b, pins: { pwm: at(w.pwm, `motor ${w.joint} pwm`), dir: at(w.dir, `motor ${w.joint} dir`) }, invertDir: w.invert_dir });
      this.motors.set(w.index, { w, motor, permille: 0 });
    }
    for (const w of wiring.outputs) {
      const pin = at(w.pin, `output ${w.name}`);
      // No write at construction: an output gets its first level from the first command or from safe().
      this.outputs.set(w.index, w.mode === 'pwm' ? { w, led: new five.Led({ board: b, pin }), permille: NaN } : { w, pin: new five.Pin({ board: b, pin, type: 'digital' }), permille: NaN });
    }
    for (const a of wiring.analog) {
      const pin = at(a.pin, `analog ${a.name}`);
      this.sensors.set(a.index, new five.Sensor({ board: b, pin: `A${pin - (board.pins['A0']?.firmata_pin ?? 14)}`, freq: sensorFreq_ms }));
    }
    for (const i of wiring.inputs) {
      this.buttons.set(i.index, new five.Button({ board: b, pin: at(i.pin, `input ${i.name}`), isPullup: i.pullup, invert: i.active_low }));
    }
  }

  /** Put a pulse of `us` on servo `index` (0 = no pulse, limp). The caller (envelope) has already clamped it. */
  setServoUs(index: number, us: number): void {
    const s = this.servos.get(index);
    if (!s) throw new Error(`node ${this.wiring.id} has no servo ${index}`);
    if (us === s.us) return;
    s.us = us;
    if (us === 0) {
      // StandardFirmata detaches a servo when its pin leaves SERVO mode: the pulses stop and the pin is held low.
      this.conn.io.pinMode(s.pin, this.conn.io.MODES['OUTPUT']!);
      this.conn.io.digitalWrite(s.pin, 0);
      s.limp = true;
      return;
    }
    if (!(us >= s.w.min_us && us <= s.w.max_us)) throw new RangeError(`servo ${s.w.joint}: ${us} us is outside ${s.w.min_us}-${s.w.max_us} us; the envelope clamps before this`);
    if (s.limp) {
      // Re-attach: johnny-five's Servo skips an angle equal to its last one, so the first pulse after limp goes direct.
      s.limp = false;
      this.conn.io.servoConfig(s.pin, s.w.min_us, s.w.max_us);
      this.conn.io.servoWrite(s.pin, Math.round(us));
      return;
    }
    s.servo.to(usToDeg(s.w, us));
  }

  /** Signed duty in permille (-1000..1000), limited to the motor's max_pwm_permille: PWM + direction, open loop. */
  setMotorPermille(index: number, permille: number): void {
    const m = this.motors.get(index);
    if (!m) throw new Error(`node ${this.wiring.id} has no open-loop motor ${index}`);
    const lim = m.w.max_pwm_permille;
    const p = Math.max(-lim, Math.min(lim, Math.round(permille)));
    if (p === m.permille) return;
    m.permille = p;
    const speed = Math.round((Math.abs(p) * 255) / 1000);
    if (speed === 0) m.motor.stop();
    else if (p > 0) m.motor.forward(speed);
    else m.motor.reverse(speed);
  }

  /** Output `index` to `permille` (0-1000): a PWM output's duty (Led.brightness), a digital one high from 500 up (Pin). */
  setOutputPermille(index: number, permille: number): void {
    const o = this.outputs.get(index);
    if (!o) throw new Error(`node ${this.wiring.id} has no output ${index}`);
    const p = Math.max(0, Math.min(1000, Math.round(permille)));
    if (p === o.permille) return;
    if (o.led) {
      o.permille = p;
      o.led.brightness(Math.round((p * 255) / 1000));
    } else {
      o.permille = p >= 500 ? 1000 : 0;
      if (o.permille) o.pin!.high();
      else o.pin!.low();
    }
  }

  /** [permille] what each output was last set to, by index (0 before the first command). */
  outputPermille(): Map<number, number> {
    return new Map([...this.outputs].map(([i, o]) => [i, Number.isFinite(o.permille) ? o.permille : 0]));
  }

  /** [V] the newest reading of analog `index`, null before the first sample. */
  analogVolts(index: number): number | null {
    const s = this.sensors.get(index);
    if (!s) throw new Error(`node ${this.wiring.id} has no analog input ${index}`);
    return s.raw === null || s.raw === undefined ? null : (s.raw * ADC_REF_V) / 1023;
  }

  sensor(index: number): InstanceType<Five['Sensor']> {
    const s = this.sensors.get(index);
    if (!s) throw new Error(`node ${this.wiring.id} has no analog input ${index}`);
    return s;
  }

  button(index: number): InstanceType<Five['Button']> {
    const b = this.buttons.get(index);
    if (!b) throw new Error(`node ${this.wiring.id} has no input ${index}`);
    return b;
  }

  /** [permille] the signed duty last put on each open-loop motor, by index. */
  motorPermille(): Map<number, number> {
    return new Map([...this.motors].map(([i, m]) => [i, Number.isFinite(m.permille) ? m.permille : 0]));
  }

  /** The pulse [us] last commanded on each servo, by index (0 = none). */
  servoUs(): Map<number, number> {
    return new Map([...this.servos].map(([i, s]) => [i, s.us]));
  }

  /**
   * Every output to its safe default, as Ganglion's firmware does on a watchdog trip: motor PWM 0 (direction low),
   * each Led/Pin output to its default_permille, each servo to its default_us (0 = pulses off). Idempotent and cheap: the deadman may call it from a signal handler.
   */
  safe(): void {
    for (const [i] of this.motors) {
      const m = this.motors.get(i)!;
      m.permille = NaN; // force the write even if the last command was 0
      m.motor.stop();
      this.conn.io.digitalWrite(firmataPin(this.board, m.w.dir, 'safe'), 0);
      m.permille = 0;
    }
    for (const [i, o] of this.outputs) {
      o.permille = NaN; // force the write
      this.setOutputPermille(i, o.w.default_permille);
    }
    for (const [i, s] of this.servos) {
      s.us = -1; // force the write
      this.setServoUs(i, s.w.default_us);
    }
  }
}
