// Test-only link to an emulated node: frames with increasing seq, decoded replies stamped with emulated time. Not a session.
import type { Board } from '../../host/hw/board.ts';
import type { NodeWiring } from '../../host/hw/robot.ts';
import { decodePayload, encodeMessage, type Decoded, type MessageName } from '../../host/protocol/codec.ts';
import { FrameDecoder, encodeFrame } from '../../host/protocol/frame.ts';
import { CONSTANTS, PIN_NONE } from '../../host/protocol/messages.ts';
import type { AnyMessages } from '../../host/protocol/messages.gen.ts';
import type { EmulatedNode } from '../../host/emulator/node.ts';
import { resolvePin } from '../../host/emulator/wiring.ts';

export type Received = Decoded & { t_ms: number };

export class TestLink {
  private seq = 0;
  private started = false;
  readonly received: Received[] = [];
  readonly decoder = new FrameDecoder();

  constructor(readonly node: EmulatedNode) {
    // Byte by byte, so each message is stamped with the emulated time its last byte reached the host.
    node.mcu.onTx((byte, cycles) =>
      this.decoder.push(Uint8Array.of(byte), (f) => {
        for (const m of decodePayload(f.payload)) this.received.push({ ...m, t_ms: (cycles * 1000) / node.clock_hz });
      }),
    );
  }

  /** A lone identify resynchronises the firmware's expected seq; every later frame uses the next seq. */
  identify(): void {
    this.seq = (this.seq + 1) & 0xff;
    this.node.mcu.writeRx(encodeFrame(this.seq, encodeMessage('identify', {})));
    this.started = true;
  }

  send<K extends MessageName>(name: K, fields: AnyMessages[K]): void {
    if (!this.started) this.identify();
    this.seq = (this.seq + 1) & 0xff;
    this.node.mcu.writeRx(encodeFrame(this.seq, encodeMessage(name, fields)));
  }

  /** Messages of one kind received so far. */
  all<K extends MessageName>(name: K): (AnyMessages[K] & { t_ms: number })[] {
    return this.received.filter((m) => m.name === name).map((m) => ({ ...(m.fields as AnyMessages[K]), t_ms: m.t_ms }));
  }

  last<K extends MessageName>(name: K): (AnyMessages[K] & { t_ms: number }) | undefined {
    const a = this.all(name);
    return a[a.length - 1];
  }

  /** Run in 1 ms steps until a matching message arrives after now; throws (naming the emulated time) if none within `within_ms`. */
  waitFor<K extends MessageName>(name: K, within_ms: number, pred: (f: AnyMessages[K]) => boolean = () => true): AnyMessages[K] & { t_ms: number } {
    const from = this.received.length;
    const deadline = this.node.time_ms + within_ms;
    for (;;) {
      for (let i = from; i < this.received.length; i++) {
        const m = this.received[i]!;
        if (m.name === name && pred(m.fields as AnyMessages[K])) return { ...(m.fields as AnyMessages[K]), t_ms: m.t_ms };
      }
      if (this.node.time_ms >= deadline) throw new Error(`no ${name} within ${within_ms} ms (emulated t=${this.node.time_ms.toFixed(1)} ms)`);
      this.node.runFor(1);
    }
  }

  /** Configure the node from its wiring the way a host would (link, motors, pid, servos, analog, inputs), then arm. */
  configure(wiring: NodeWiring, board: Board, opts: { telemetry_hz?: number; status_div?: number; arm?: boolean } = {}): void {
    const pin = (name: string | null) => (name ? resolvePin(board, name, 'test').pin : PIN_NONE);
    this.identify();
    this.send('config_link', { watchdog_ms: wiring.watchdog_ms, telemetry_hz: opts.telemetry_hz ?? wiring.telemetry_hz, status_div: opts.status_div ?? 1 });
    for (const m of wiring.motors) {
      const F = CONSTANTS.MOTOR_FLAG;
      this.send('config_motor', {
        index: m.index,
        pwm_pin: pin(m.pwm),
        dir_pin: pin(m.in1),
        dir2_pin: pin(m.in2),
        enc_a_pin: pin(m.enc_a),
        enc_b_pin: pin(m.enc_b),
        limit_neg_pin: pin(m.limit_neg),
        limit_pos_pin: pin(m.limit_pos),
        flags: (m.invert_dir ? F.INVERT_DIR : 0) | (m.invert_encoder ? F.INVERT_ENCODER : 0) | F.LIMIT_ACTIVE_LOW,
        max_pwm_permille: m.max_pwm_permille,
      });
      const q16 = (x: number) => Math.round(x * 65536);
      this.send('config_pid', {
        index: m.index,
        kp_q16: q16(m.pid.kp_permille_per_count),
        ki_q16: q16(m.pid.ki_permille_per_count_s),
        kd_q16: q16(m.pid.kd_permille_per_cps),
        i_limit_permille: m.pid.i_limit_permille,
        vel_limit_cps: m.pid.vel_limit_cps,
        accel_limit_cps2: m.pid.accel_limit_cps2,
      });
    }
    for (const s of wiring.servos) this.send('config_servo', { index: s.index, pin: pin(s.pin), min_us: s.min_us, max_us: s.max_us, default_us: s.default_us });
    for (const a of wiring.analog) this.send('config_analog', { index: a.index, pin: pin(a.pin) });
    for (const i of wiring.inputs) {
      const flags = (i.pullup ? CONSTANTS.INPUT_FLAG.PULLUP : 0) | (i.active_low ? CONSTANTS.INPUT_FLAG.ACTIVE_LOW : 0);
      this.send('config_input', { index: i.index, pin: pin(i.pin), role: CONSTANTS.INPUT_ROLE[i.role === 'estop' ? 'ESTOP' : 'PLAIN'], flags });
    }
    if (opts.arm ?? true) this.send('arm', {});
  }

  /** Setpoints for all four channels; unlisted channels are OFF. */
  setMotors(channels: { [index: number]: { mode: keyof typeof CONSTANTS.MODE; value: number } }): void {
    const mode = [0, 0, 0, 0];
    const value = [0, 0, 0, 0];
    for (const [i, c] of Object.entries(channels)) {
      mode[Number(i)] = CONSTANTS.MODE[c.mode];
      value[Number(i)] = c.value;
    }
    this.send('set_motors', { mode, value });
  }
}
