// ATmega328P harness over avr8js: flash, peripherals, cycle-sliced execution, byte-timed USART, pin I/O and resets.
// Over 300 lines on purpose: the CPU, its peripherals and the cycle-sliced run loop share the hot path (USART byte timing,
// pin change callbacks); fast-timer.ts and fast-instruction.ts already hold the parts that could stand alone.
import {
  AVRADC,
  AVRClock,
  AVREEPROM,
  AVRIOPort,
  AVRTimer,
  AVRUSART,
  AVRWatchdog,
  CPU,
  EEPROMMemoryBackend,
  PinState,
  adcConfig,
  eepromConfig,
  portBConfig,
  portCConfig,
  portDConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  usart0Config,
  watchdogConfig,
} from 'avr8js';
import { fastInstruction } from './fast-instruction.ts';
import { makeTimerEventSkipping } from './fast-timer.ts';

// avr8js's avrInstruction, looked up in a decode table (test/emulator/fast-instruction.test.ts checks every opcode against it).
const avrInstruction = fastInstruction().step;

export const ATMEGA328P = { flashBytes: 0x8000, sramBytes: 0x800, eepromBytes: 1024, clock_hz: 16_000_000 } as const;

const MCUSR = 0x54;
const MCUSR_PORF = 0x01;
const MCUSR_WDRF = 0x08;
const UCSRA_DOR = 0x08;
const UCSRA_TXC = 0x40;
/** RXC, UDRE, FE, DOR, UPE: status bits a write to UCSRA cannot change (datasheet 19.10.2). */
const UCSRA_READ_ONLY = 0x80 | 0x20 | 0x10 | 0x08 | 0x04;
const SMCR = 0x53;
const SMCR_SE = 0x01;
const OPCODE_SLEEP = 0x9588;
const WDTCSR = 0x60;
const WDTCSR_WDCE = 0x10;
const WDTCSR_WDE = 0x08;

type AVRInterruptConfig = Parameters<CPU['setInterruptFlag']>[0];

/** Thrown from inside avr8js's watchdog when it resets the chip. */
class WatchdogResetSignal extends Error {}

/** Port index as the wire protocol numbers pins (A=0 ... D=3); the 328P has no port A. */
const PORT_CONFIGS = [null, portBConfig, portCConfig, portDConfig] as const;

/** A wire pin number (port*8+bit) -> port index and bit. */
export function splitPin(pin: number): { port: number; bit: number } {
  const port = pin >> 3;
  if (port < 1 || port > 3) throw new RangeError(`pin ${pin} is not on ports B, C or D of an ATmega328P`);
  return { port, bit: pin & 7 };
}

/** Level changes of driven (output) pins, timestamped in CPU cycles at the exact instruction or timer tick. */
export type PinListener = (pin: number, high: boolean, cycles: number) => void;
/** A byte leaving the USART; `cycles` is when its stop bit ends, i.e. when a host would have it. */
export type TxListener = (byte: number, cycles: number) => void;

export interface AvrOptions {
  /** Flash image, e.g. from parseIntelHex. */
  flash: Uint8Array;
  clock_hz?: number;
  /** Initial EEPROM content (a provisioned board); default erased (0xFF). */
  eeprom?: Uint8Array;
  /** [baud] the host link's rate: TX bytes at another rate are counted in `baudErrors`, as a real host would see garbage. */
  hostBaud?: number;
  /** Use avr8js's per-tick timers instead of the event-skipping ones (slower; for equivalence tests). */
  stockTimers?: boolean;
}

/** One emulated ATmega328P. All times are CPU cycles since power-on; they keep counting across resets. */
export class AvrMcu {
  readonly clock_hz: number;
  readonly hostBaud: number;
  readonly progMem: Uint16Array;
  readonly stockTimers: boolean;
  readonly eeprom: EEPROMMemoryBackend;
  cpu!: CPU;
  usart!: AVRUSART;
  adc!: AVRADC;
  private ports: (AVRIOPort | null)[] = [];
  private timers: AVRTimer[] = [];
  /** Kept alive so GC cannot collect peripherals that only hold hooks; unused otherwise. */
  private keep: unknown[] = [];
  private driven = [0, 0, 0, 0];
  private pullups = [0, 0, 0, 0];
  private pullupListeners: ((pin: number, on: boolean) => void)[] = [];
  private pinListeners: PinListener[] = [];
  private txListeners: TxListener[] = [];
  /** Levels the outside world applies to input pins; re-applied after a reset. */
  private inputLevels = new Map<number, boolean>();
  private adcVolts: number[] = new Array(8).fill(0);
  private rxQueue: number[] = [];
  /** [cycles] per queued byte: it does not start on the line before this (writeRx's notBefore). */
  private rxNotBefore: number[] = [];
  /** The clock event that feeds the next byte once its gate (rxNotBefore) comes; null when none is set. */
  private rxWake: (() => void) | null = null;
  private rxHead = 0;
  private rxInFlight = false;
  private rxFifo: number[] = [];
  /** Host bytes lost because the firmware did not read UDR in time (DOR). */
  rxOverruns = 0;
  /** [cycles] when the RX line finishes the byte on it. */
  private rxLineFree = 0;
  /** [cycles] when the TX line finishes the last byte handed to it (0: nothing sent yet). */
  private txLineFree = 0;
  /** Watchdog resets so far; the firmware sees WDRF in MCUSR after each. */
  resets = 0;
  /** TX bytes sent while the USART was not at the host baud rate. */
  baudErrors = 0;
  /**
   * [cycles] when the serial line last carried or will finish carrying a byte, either way: the end of the byte now
   * on the RX or TX line, or of the last one. A pacer tracks the wall clock finely until a little after it.
   */
  get lineBusyUntil(): number {
    return Math.max(this.rxInFlight || this.rxPending > 0 ? Infinity : this.rxLineFree, this.txLineFree);
  }
  /** Bytes the host queued and the USART has not yet received. */
  get rxPending(): number {
    return this.rxQueue.length - this.rxHead;
  }
  private idleLo = -1;
  private idleHi = -1;
  /** Cycles the CPU spent executing instructions inside the idle range (see setIdleRange). */
  idleCycles = 0;
  /** Cycles the CPU spent in SLEEP (idle mode) since power-on. */
  sleepCycles = 0;
  /** Word address of the firmware's SLEEP instruction, -1 if it has none (the loop then skips the check). */
  private sleepPc = -1;
  private multiSleep = false;
  /** Cycles spent per word address (see setProfile); null when not profiling. */
  private profile: Float64Array | null = null;

  constructor(opts: AvrOptions) {
    this.clock_hz = opts.clock_hz ?? ATMEGA328P.clock_hz;
    this.hostBaud = opts.hostBaud ?? 1_000_000;
    this.stockTimers = opts.stockTimers ?? false;
    const flash = new Uint8Array(ATMEGA328P.flashBytes).fill(0xff);
    flash.set(opts.flash.subarray(0, ATMEGA328P.flashBytes));
    this.progMem = new Uint16Array(flash.buffer);
    this.sleepPc = this.progMem.indexOf(OPCODE_SLEEP);
    if (this.sleepPc >= 0 && this.progMem.indexOf(OPCODE_SLEEP, this.sleepPc + 1) >= 0) {
      // More than one SLEEP site is unusual (sleep_mode() is inlined once); check every instruction then.
      this.sleepPc = -1;
      this.multiSleep = true;
    }
    this.eeprom = new EEPROMMemoryBackend(ATMEGA328P.eepromBytes);
    if (opts.eeprom) this.eeprom.memory.set(opts.eeprom.subarray(0, ATMEGA328P.eepromBytes));
    this.build(0, MCUSR_PORF);
  }

  /** Build the chip from scratch: a reset clears every I/O register, which avr8js's cpu.reset() alone does not. */
  private build(cycles: number, mcusr: number): void {
    const prevDriven = this.driven;
    const cpu = new CPU(this.progMem, ATMEGA328P.sramBytes);
    cpu.cycles = cycles;
    this.cpu = cpu;
    const clock = new AVRClock(cpu, this.clock_hz);
    this.timers = [new AVRTimer(cpu, timer0Config), new AVRTimer(cpu, timer1Config), new AVRTimer(cpu, timer2Config)];
    if (!this.stockTimers) this.timers.forEach(makeTimerEventSkipping);
    this.ports = PORT_CONFIGS.map((cfg) => (cfg ? new AVRIOPort(cpu, cfg) : null));
    this.usart = new AVRUSART(cpu, usart0Config, this.clock_hz);
    this.adc = new AVRADC(cpu, adcConfig);
    const watchdog = new AVRWatchdog(cpu, watchdogConfig, clock);
    this.keep = [clock, watchdog, new AVREEPROM(cpu, this.eeprom, eepromConfig)];
    cpu.data[MCUSR] = mcusr;

    // The watchdog resets the chip by calling cpu.reset(): throw out of the run loop (no per-instruction
    // check needed) and rebuild everything, since cpu.reset() alone leaves every I/O register as it was.
    cpu.reset = () => {
      throw new WatchdogResetSignal();
    };

    this.driven = [0, 0, 0, 0];
    this.ports.forEach((port, idx) => {
      if (!port) return;
      const ddrAddr = port.portConfig.DDR;
      port.addListener((value) => {
        const ddr = cpu.data[ddrAddr]!;
        this.onPortWrite(idx, value & ddr);
        this.onPullups(idx, value & ~ddr & 0xff);
      });
    });
    // After a reset every pin is an input: tell listeners that pins which were driven high no longer are.
    prevDriven.forEach((mask, idx) => mask && this.emitChanges(idx, mask, 0));
    for (let idx = 0; idx < 4; idx++) this.onPullups(idx, 0); // and every pull-up is off again
    for (const [pin, high] of this.inputLevels) this.applyInput(pin, high);
    this.adcVolts.forEach((v, ch) => (this.adc.channelValues[ch] = v));

    this.installDoubleBufferedTx();
    this.installRxFifo();
    this.installUcsraStatusBits();
    this.rxInFlight = false; // a byte on the line during a reset is lost, as on the real chip
    this.rxWake = null; // the new CPU has no clock events: runUntil feeds the queue again
  }

  /**
   * The real receiver has a two-byte FIFO behind UDR (a third byte may wait in the shift register): the
   * firmware may take up to ~2 byte times to read. avr8js holds one byte and overwrites it; we model the
   * FIFO and set DOR (data overrun) when a byte arrives with the FIFO full, counting it in rxOverruns.
   */
  private rxComplete(byte: number): void {
    const cpu = this.cpu;
    if (!this.usart.rxEnable) return;
    if (this.rxFifo.length >= 2) {
      this.rxOverruns++;
      cpu.data[usart0Config.UCSRA]! |= UCSRA_DOR;
      return;
    }
    this.rxFifo.push(byte);
    cpu.setInterruptFlag(this.rxcIrq());
  }

  private rxcIrq(): AVRInterruptConfig {
    return (this.usart as unknown as { RXC: AVRInterruptConfig }).RXC;
  }

  private installRxFifo(): void {
    const cpu = this.cpu;
    this.rxFifo = [];
    cpu.readHooks[usart0Config.UDR] = () => {
      const byte = this.rxFifo.shift() ?? 0;
      cpu.data[usart0Config.UCSRA]! &= ~UCSRA_DOR;
      if (this.rxFifo.length === 0) cpu.clearInterrupt(this.rxcIrq());
      return byte;
    };
  }

  /**
   * avr8js's UCSRA write stores only U2X and MPCM, so it clears UDRE (and RXC, DOR) as a side effect. On the chip
   * those are read-only and TXC clears only when written 1. Arduino's HardwareSerial writes UCSRA after every direct
   * UDR write: with UDRE wrongly clear it then queues the next byte for a UDRE interrupt that never comes, and the
   * sketch (StandardFirmata) stops transmitting after its first byte.
   */
  private installUcsraStatusBits(): void {
    const cpu = this.cpu;
    const addr = usart0Config.UCSRA;
    const stock = cpu.writeHooks[addr]!;
    cpu.writeHooks[addr] = (value, oldValue, a, mask) => {
      const kept = oldValue & (UCSRA_READ_ONLY | (value & UCSRA_TXC ? 0 : UCSRA_TXC));
      stock(value, oldValue, a, mask);
      cpu.data[addr]! |= kept;
      return true;
    };
  }

  /**
   * The real USART transmitter is double-buffered: UDR hands its byte to the shift register at once, so UDRE
   * is set again while that byte is still going out and a burst leaves back to back at 10 bits per byte.
   * avr8js keeps UDRE clear for the whole byte, which stretches every gap by the firmware's reaction time.
   */
  private installDoubleBufferedTx(): void {
    const cpu = this.cpu;
    const usart = this.usart;
    const irq = usart as unknown as { UDRE: AVRInterruptConfig; TXC: AVRInterruptConfig };
    let shiftEnd = 0;
    let buffered: number | null = null;
    const shiftOut = (byte: number, start: number) => {
      if (Math.abs(usart.baudRate - this.hostBaud) > this.hostBaud * 0.02) this.baudErrors++;
      shiftEnd = start + this.cyclesPerChar();
      this.txLineFree = shiftEnd;
      for (const l of this.txListeners) l(byte, shiftEnd);
      cpu.addClockEvent(shiftDone, shiftEnd - cpu.cycles);
    };
    const shiftDone = () => {
      if (buffered === null) {
        cpu.setInterruptFlag(irq.TXC);
        return;
      }
      const b = buffered;
      buffered = null;
      shiftOut(b, shiftEnd); // chained from the ideal end time: no drift over a burst
      cpu.setInterruptFlag(irq.UDRE);
    };
    cpu.writeHooks[usart0Config.UDR] = (value) => {
      cpu.clearInterrupt(irq.TXC);
      if (cpu.cycles >= shiftEnd && buffered === null) {
        shiftOut(value, cpu.cycles);
      } else {
        buffered = value; // a write while UDRE is clear overwrites it, as on the chip
        cpu.clearInterrupt(irq.UDRE);
      }
      return true;
    };
  }

  private cyclesPerChar(): number {
    const u = this.usart;
    const ubrr = (this.cpu.data[usart0Config.UBRRH]! << 8) | this.cpu.data[usart0Config.UBRRL]!;
    const mult = this.cpu.data[usart0Config.UCSRA]! & 0x02 ? 8 : 16;
    return (ubrr + 1) * mult * (1 + u.bitsPerChar + u.stopBits + (u.parityEnabled ? 1 : 0));
  }

  private onPortWrite(port: number, drivenNow: number): void {
    const before = this.driven[port]!;
    if (before === drivenNow) return;
    this.driven[port] = drivenNow;
    this.emitChanges(port, before ^ drivenNow, drivenNow);
  }

  private onPullups(port: number, now: number): void {
    const changed = this.pullups[port]! ^ now;
    if (!changed) return;
    this.pullups[port] = now;
    for (let bit = 0; bit < 8; bit++) {
      if (changed & (1 << bit)) for (const l of this.pullupListeners) l(port * 8 + bit, (now & (1 << bit)) !== 0);
    }
  }

  /**
   * Be told at once when the firmware turns an input's pull-up on or off, so switch contacts read right from the
   * very next instruction (a real pull-up acts within nanoseconds, long before a slice ends).
   */
  onPullupChange(listener: (pin: number, on: boolean) => void): void {
    this.pullupListeners.push(listener);
  }

  private emitChanges(port: number, changed: number, levels: number): void {
    const cycles = this.cpu.cycles;
    for (let bit = 0; bit < 8; bit++) {
      if (!(changed & (1 << bit))) continue;
      const high = (levels & (1 << bit)) !== 0;
      for (const l of this.pinListeners) l(port * 8 + bit, high, cycles);
    }
  }

  /**
   * Put the next queued host byte on the RX line. Byte times are chained from the ideal end of the previous
   * byte (not from when the emulator noticed it), so a burst runs at exactly 10 bits per byte with no drift.
   */
  private feedRx(from?: number): void {
    if (this.rxInFlight || this.rxHead >= this.rxQueue.length || !this.usart.rxEnable) return;
    const cpu = this.cpu;
    const gate = this.rxNotBefore[this.rxHead]!;
    if (gate > cpu.cycles) {
      // Sent at a moment the CPU has not reached: wake then (or sooner, if a dropped lag moves the gate).
      if (!this.rxWake) this.rxWake = cpu.addClockEvent(this.rxWakeUp, gate - cpu.cycles);
      return;
    }
    const start = Math.max(from ?? cpu.cycles, this.rxLineFree, gate);
    const done = start + this.cyclesPerChar();
    const byte = this.rxQueue[this.rxHead++]!;
    this.rxLineFree = done;
    this.rxInFlight = true;
    cpu.addClockEvent(() => {
      this.rxInFlight = false;
      this.rxComplete(byte);
      this.feedRx(done);
    }, done - cpu.cycles);
    if (this.rxHead > 4096 && this.rxHead * 2 > this.rxQueue.length) {
      this.rxQueue = this.rxQueue.slice(this.rxHead);
      this.rxNotBefore = this.rxNotBefore.slice(this.rxHead);
      this.rxHead = 0;
    }
  }

  private readonly rxWakeUp = (): void => {
    this.rxWake = null;
    this.feedRx();
  };

  /**
   * Emulated time skipped `cycles` here (the pacer dropped a lag it could not catch up: a paused chip). Host bytes
   * waiting for a later cycle were sent at moments that now stand that many cycles sooner; a moment inside the skip
   * becomes now.
   */
  skipped(cycles: number): void {
    const now = this.cpu.cycles;
    for (let i = this.rxHead; i < this.rxNotBefore.length; i++) this.rxNotBefore[i] = Math.max(now, this.rxNotBefore[i]! - cycles);
    if (this.rxWake) {
      this.cpu.clearClockEvent(this.rxWake);
      this.rxWake = null;
      this.feedRx();
    }
  }

  /** Execute until cpu.cycles >= target (instructions are atomic, so it may overshoot by a few cycles). */
  runUntil(target: number): void {
    for (;;) {
      this.feedRx(); // the receiver may have been enabled since bytes were queued
      try {
        this.execute(target);
        return;
      } catch (e) {
        if (!(e instanceof WatchdogResetSignal)) throw e;
      }
      this.resets++;
      // WDRF in MCUSR tells the firmware why it restarted (it reports it in its boot event).
      this.build(this.cpu.cycles, this.cpu.data[MCUSR]! | MCUSR_WDRF);
      // A watchdog reset leaves the watchdog on at its shortest timeout (datasheet 10.9.2): firmware must turn it off.
      this.cpu.writeData(WDTCSR, WDTCSR_WDCE | WDTCSR_WDE);
      this.cpu.writeData(WDTCSR, WDTCSR_WDE);
    }
  }

  private execute(target: number): void {
    const cpu = this.cpu;
    if (this.idleLo < 0 && this.sleepPc < 0 && !this.multiSleep && !this.profile) {
      while (cpu.cycles < target) {
        avrInstruction(cpu);
        cpu.tick();
      }
      return;
    }
    const lo = this.idleLo;
    const hi = this.idleHi;
    const sleepPc = this.sleepPc;
    const anySleep = this.multiSleep;
    const prof = this.profile;
    while (cpu.cycles < target) {
      const pc = cpu.pc;
      const c0 = cpu.cycles;
      avrInstruction(cpu);
      if (prof) prof[pc] = prof[pc]! + cpu.cycles - c0;
      // Interrupt entry (inside tick) counts as busy: only the idle loop's own instructions are idle.
      if (pc >= lo && pc < hi) this.idleCycles += cpu.cycles - c0;
      if ((pc === sleepPc || (anySleep && cpu.progMem[pc] === OPCODE_SLEEP)) && cpu.data[SMCR]! & SMCR_SE) this.sleep(target);
      cpu.tick();
    }
  }

  /**
   * SLEEP (idle mode): avr8js treats it as a no-op, so a sleeping firmware would still cost a full
   * emulation of its wake-up loop. Instead we jump the clock to the next scheduled peripheral event
   * (timer match, USART byte, watchdog) until an interrupt is pending: the same cycles, far less work.
   */
  private sleep(target: number): void {
    const cpu = this.cpu;
    const events = cpu as unknown as { nextClockEvent: { cycles: number } | null };
    while (cpu.nextInterrupt < 0 && cpu.cycles < target) {
      const next = events.nextClockEvent?.cycles ?? Infinity;
      const to = Math.min(next, target);
      if (to > cpu.cycles) {
        this.sleepCycles += to - cpu.cycles;
        cpu.cycles = to;
      }
      if (next > target) return; // woken at the slice end: plants update, then we sleep on
      const pc = cpu.pc;
      cpu.tick(); // fires the event; an interrupt it raises is entered here, which ends the sleep
      if (cpu.pc !== pc) return;
    }
  }

  get cycles(): number {
    return this.cpu.cycles;
  }

  /** Count cycles spent in [startByte, endByte) of flash as idle (byte addresses, as avr-nm prints them). */
  /** Count the cycles each instruction takes, by word address, into `counts` (null stops); for bench/firmware-profile.ts. */
  setProfile(counts: Float64Array | null): void {
    this.profile = counts;
  }

  setIdleRange(range: { startByte: number; endByte: number } | null): void {
    this.idleLo = range ? range.startByte >> 1 : -1;
    this.idleHi = range ? range.endByte >> 1 : -1;
  }

  /**
   * Queue bytes from the host; they arrive at the USART one byte time (10 bits) after another, never dropped. The first
   * starts on the line at `notBefore_cycles` at the earliest: the cycle that stands for the moment the host sent them
   * (RealtimePacer.cycleAt), which a lagging emulator has not reached yet. Default: now.
   */
  writeRx(bytes: ArrayLike<number>, notBefore_cycles = 0): void {
    for (let i = 0; i < bytes.length; i++) {
      this.rxQueue.push(bytes[i]! & 0xff);
      this.rxNotBefore.push(notBefore_cycles);
    }
    this.feedRx();
  }

  onTx(listener: TxListener): void {
    this.txListeners.push(listener);
  }

  onPinChange(listener: PinListener): void {
    this.pinListeners.push(listener);
  }

  /** What the pin does: 'high'/'low' when driven, 'input'/'pullup' when not. */
  pinMode(pin: number): 'high' | 'low' | 'input' | 'pullup' {
    const { port, bit } = splitPin(pin);
    switch (this.ports[port]!.pinState(bit)) {
      case PinState.High: return 'high';
      case PinState.Low: return 'low';
      case PinState.InputPullUp: return 'pullup';
      default: return 'input';
    }
  }

  /** The level on the pin: the driven level for outputs, the PIN register (what the MCU reads) for inputs. */
  pinLevel(pin: number): boolean {
    const { port, bit } = splitPin(pin);
    return (this.cpu.data[this.ports[port]!.portConfig.PIN]! & (1 << bit)) !== 0;
  }

  /** Whether the firmware has the pin's internal pull-up on (input with PORT bit set). */
  pullupOn(pin: number): boolean {
    return this.pinMode(pin) === 'pullup';
  }

  /** Drive an input pin from outside (encoder, switch); sticky across resets, as the wiring is. */
  setInput(pin: number, high: boolean): void {
    if (this.inputLevels.get(pin) === high) return;
    this.inputLevels.set(pin, high);
    this.applyInput(pin, high);
  }

  private applyInput(pin: number, high: boolean): void {
    const { port, bit } = splitPin(pin);
    this.ports[port]!.setPin(bit, high);
  }

  /** [V] voltage on ADC channel 0..7 (A0..A5 are PC0..PC5 = channels 0..5). */
  setAdcVolts(channel: number, volts: number): void {
    this.adcVolts[channel] = volts;
    this.adc.channelValues[channel] = volts;
  }
}
