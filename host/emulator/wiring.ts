// Board pin names (D5, A0) -> the MCU's wire pin numbers and ADC channels, checked against the board profile.
import { mcuPinNumber, type Board } from '../hw/board.ts';

export interface ResolvedPin {
  /** Board name, e.g. "D5". */
  name: string;
  /** Wire pin number: port_index*8 + bit (PD5 = 29). */
  pin: number;
  /** ADC channel for PCn pins of the ATmega328P, else null. */
  adcChannel: number | null;
}

export function resolvePin(board: Board, name: string, what: string): ResolvedPin {
  const p = board.pins[name];
  if (!p) throw new Error(`${what}: board ${board.id} has no pin ${name} (it has ${Object.keys(board.pins).join(', ')})`);
  const adc = p.caps.includes('adc') && p.mcu_pin[1] === 'C' ? Number(p.mcu_pin[2]) : null;
  return { name, pin: mcuPinNumber(p.mcu_pin), adcChannel: adc };
}
