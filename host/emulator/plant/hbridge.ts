// H-bridge drivers: what the winding sees for given PWM duty and direction-pin levels (TB6612FNG, L298N, DRV8871).
import { COAST, type Drive } from './motor.ts';

export type BridgePart = 'TB6612FNG' | 'L298N' | 'DRV8871';
export type Direction = 'forward' | 'reverse' | 'brake' | 'coast';

/**
 * Direction from IN1/IN2 (in2 null = PWM+DIR driver: DIR high forward). TB6612 truth table: 1/0 forward,
 * 0/1 reverse, 1/1 short brake, 0/0 stop (coast).
 */
export function bridgeDirection(in1: boolean, in2: boolean | null): Direction {
  if (in2 === null) return in1 ? 'forward' : 'reverse';
  if (in1 && !in2) return 'forward';
  if (!in1 && in2) return 'reverse';
  return in1 ? 'brake' : 'coast';
}

/** Average winding drive for one step. duty: fraction of the step the PWM input was high. */
export function bridgeDrive(part: BridgePart, dir: Direction, duty: number, supply_v: number): Drive {
  if (dir === 'coast') return COAST;
  if (dir === 'brake') return { volts_v: 0, closed: part === 'L298N' ? duty : 1 };
  const v = (dir === 'forward' ? 1 : -1) * duty * supply_v;
  // TB6612 and DRV8871 short-brake the winding in the PWM-off phase (slow decay); the L298N lets it float.
  return { volts_v: v, closed: part === 'L298N' ? duty : 1 };
}
