// Event-skipping for avr8js timers: wake a timer only at its next compare match or wrap instead of every prescaler tick.
//
// Why: stock avr8js schedules a clock event per timer tick. With three timers at clk/8 (the firmware's PWM
// and control tick) that is a JS callback every ~3 cycles and caps emulation near real time. Between
// compare matches and wraps nothing observable happens (TCNT reads bring the count up to date lazily),
// so jumping straight to those points gives the same pin edges and interrupt flags at the same cycles.
// The equivalence is checked by test/emulator/fast-timer.test.ts against stock avr8js on the real firmware.
import type { AVRTimer, CPU } from 'avr8js';

type CountFn = (reschedule?: boolean, external?: boolean) => void;

/** The avr8js timer internals this file relies on (private in its typings, stable in 0.21). */
interface TimerInternals {
  cpu: CPU;
  config: { OCRA: number; OCRB: number; OCRC: number; ICR: number; TCCRA: number };
  count: CountFn;
  divider: number;
  lastCycle: number;
  tcnt: number;
  ocrA: number;
  ocrB: number;
  ocrC: number;
  hasOCRC: boolean;
  updateDivider: boolean;
  timerMode: number;
  ocrUpdateMode: number;
  readonly TOP: number;
}

const PWM_PHASE_CORRECT = 1;
const PWM_PHASE_FREQ_CORRECT = 4;
const OCR_IMMEDIATE = 0;

/** Ticks from `tcnt` until the next compare match or wrap (at least 1). */
function ticksToNextEvent(t: TimerInternals): number {
  if (t.timerMode === PWM_PHASE_CORRECT || t.timerMode === PWM_PHASE_FREQ_CORRECT) return 1; // stock stepping
  const top = t.TOP;
  const tcnt = t.tcnt;
  let next = top >= tcnt ? top + 1 - tcnt : 1; // the wrap to BOTTOM (or TCNT was written above TOP: step)
  const ocrs = t.hasOCRC ? [t.ocrA, t.ocrB, t.ocrC] : [t.ocrA, t.ocrB];
  for (const ocr of ocrs) {
    if (ocr > tcnt && ocr <= top && ocr - tcnt < next) next = ocr - tcnt;
  }
  return Math.max(1, next);
}

/** Patch one timer in place. Call right after `new AVRTimer(...)`, before the program runs. */
export function makeTimerEventSkipping(timer: AVRTimer): void {
  const t = timer as unknown as TimerInternals;
  const stockCount = t.count;
  const { cpu } = t;

  const schedule = (): void => {
    cpu.clearClockEvent(t.count);
    if (t.divider) cpu.addClockEvent(t.count, t.lastCycle + ticksToNextEvent(t) * t.divider - cpu.cycles);
  };

  t.count = (reschedule = true, external = false) => {
    // With a pending divider change, the stock code reschedules itself (one tick ahead) and returns.
    const stockSchedules = t.updateDivider;
    stockCount(false, external);
    if (reschedule && !stockSchedules && t.divider) {
      cpu.addClockEvent(t.count, t.lastCycle + ticksToNextEvent(t) * t.divider - cpu.cycles);
    }
  };

  // Writes that move the next event: catch the count up under the old settings, apply, then re-plan.
  const wrap = (addr: number, onlyWhenImmediate: boolean) => {
    const hook = cpu.writeHooks[addr];
    if (!hook) return;
    cpu.writeHooks[addr] = (value, oldValue, a, mask) => {
      if (t.divider && !t.updateDivider) stockCount(false);
      const handled = hook(value, oldValue, a, mask);
      if (!t.updateDivider && (!onlyWhenImmediate || t.ocrUpdateMode === OCR_IMMEDIATE)) schedule();
      return handled;
    };
  };
  wrap(t.config.OCRA, true);
  wrap(t.config.OCRB, true);
  if (t.hasOCRC) wrap(t.config.OCRC, true);
  if (t.config.ICR) wrap(t.config.ICR, false);
  wrap(t.config.TCCRA, false);
}
