// Board profiles agree with the AVR firmware's pin tables: a pin offered for motor PWM has a PWM channel there.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { listBoards, loadBoard, mcuPinNumber, ROOT } from '../../host/hw/board.ts';

/** Wire pin numbers in the firmware's pwm_table ("{29, &TCCR0A, ...}") of one MCU. */
function firmwarePwmPins(mcu: string): number[] {
  const src = readFileSync(path.join(ROOT, `firmware/hal/avr/pins_${mcu}.c`), 'utf8');
  return [...src.matchAll(/\{\s*(\d+),\s*&TCCR/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

for (const id of listBoards()) {
  const board = loadBoard(id);
  if (board.mcu === 'posix') continue;
  t.test(`${id}: PWM pins match firmware/hal/avr/pins_${board.mcu}.c`, async (t) => {
    const offered = Object.values(board.pins).filter((p) => p.caps.includes('pwm')).map((p) => mcuPinNumber(p.mcu_pin)).sort((a, b) => a - b);
    t.same(offered, firmwarePwmPins(board.mcu));
  });
  t.test(`${id}: every pin's MCU pin is used once, and reserved pins exist`, async (t) => {
    const mcuPins = Object.values(board.pins).map((p) => p.mcu_pin);
    t.equal(new Set(mcuPins).size, mcuPins.length);
    for (const r of board.reserved) t.ok(board.pins[r], `${r} is a pin of ${id}`);
  });
}
