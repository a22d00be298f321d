// Board profiles (boards/*.json): which MCU, clock, baud, and what each named pin can do. Validated with zod.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readJsonFile } from '../util/read-json.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BOARDS_DIR = path.join(ROOT, 'boards');

export const PinCap = z.enum(['digital', 'pwm', 'interrupt', 'pcint', 'adc', 'servo']);
export type PinCap = z.infer<typeof PinCap>;

/** MCU port letters in the order the firmware numbers them: pin number = port index * 8 + bit. */
export const PORTS = 'ABCDEFGHJKL';
export const McuPinName = z.string().regex(/^P[A-HJ-L][0-7]$/, 'an MCU pin is written like PD5');

/** MCU pin name (PD5) -> firmware pin number (29). */
export function mcuPinNumber(name: string): number {
  return PORTS.indexOf(name[1]!) * 8 + Number(name[2]);
}

export const PinSchema = z.strictObject({
  mcu_pin: McuPinName,
  caps: z.array(PinCap).min(1),
  /** Level this pin has while the MCU is in reset or disarmed: every output has a safe default. */
  default: z.enum(['low', 'high', 'input']).default('low'),
  note: z.string().optional(),
  /** Firmata boards: the pin number StandardFirmata uses on the wire (A0 is 14 on an Uno). */
  firmata_pin: z.number().int().min(0).max(127).optional(),
});

/**
 * What a board running StandardFirmata can and cannot do. Everything here is a fixed fact of the firmware, stated
 * as data so that checks and the dashboard read it instead of guessing.
 */
export const FirmataSchema = z.strictObject({
  /** Name the firmware reports (REPORT_FIRMWARE), e.g. "StandardFirmata.ino". */
  firmware: z.string(),
  /** Firmata protocol major version the host speaks; another major is refused. */
  protocol_major: z.number().int().min(1),
  /** Lowest minor version accepted (2.3 added the capability query johnny-five needs). */
  protocol_min_minor: z.number().int().min(0),
  /** The StandardFirmata image `ganglion flash` writes, relative to the project root. */
  hex: z.string(),
  capabilities: z.strictObject({
    /** StandardFirmata counts no encoders: no position or velocity feedback from motors. */
    encoders: z.literal(false),
    /** Motors are PWM + direction, open loop: skills and the envelope refuse what needs feedback. */
    closed_loop: z.literal(false),
    /** No watchdog, CRC or sequence numbers on the board: only the host-side deadman makes outputs safe. */
    board_watchdog: z.literal(false),
  }),
});
export type FirmataInfo = z.infer<typeof FirmataSchema>;

export const BoardSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  /** ganglion: runs Ganglion's firmware (protocol, PID, watchdog). firmata: runs StandardFirmata, driven via johnny-five. */
  kind: z.enum(['ganglion', 'firmata']).default('ganglion'),
  name: z.string(),
  mcu: z.enum(['atmega328p', 'atmega2560', 'posix']),
  clock_hz: z.number().int().positive(),
  /** [baud] host link rate; 1 Mbaud divides 16 MHz exactly (UBRR=1 with U2X). */
  baud: z.number().int().positive(),
  /** True for boards that exist only in the emulator (avr8js). */
  emulated: z.boolean().default(false),
  upload: z.strictObject({ programmer: z.string(), baud: z.number().int().positive() }).optional(),
  /** Pins the firmware owns (the host UART): wiring may not use them. */
  reserved: z.array(z.string()).default([]),
  pins: z.record(z.string(), PinSchema),
  /** Present exactly when kind is "firmata". */
  firmata: FirmataSchema.optional(),
}).superRefine((b, ctx) => {
  if ((b.kind === 'firmata') !== (b.firmata !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['firmata'], message: b.kind === 'firmata' ? 'a firmata board needs a "firmata" section (firmware, protocol, hex, capabilities)' : 'only boards of kind "firmata" have a "firmata" section' });
  }
  if (b.kind === 'firmata') {
    for (const [name, pin] of Object.entries(b.pins)) {
      if (pin.firmata_pin === undefined) ctx.addIssue({ code: 'custom', path: ['pins', name, 'firmata_pin'], message: `pin ${name} of a firmata board needs its Firmata pin number` });
    }
  }
});
export type Board = z.infer<typeof BoardSchema>;

/** Load and validate one board by id; errors name the file and the field. */
export function loadBoard(id: string, dir = BOARDS_DIR): Board {
  const file = path.join(dir, `${id}.json`);
  const unusable = (f: string, d: string) => `cannot read board "${id}" (${f}): ${d}. Known boards: ${listBoards(dir).join(', ')}`;
  return readJsonFile(file, BoardSchema, { say: { missing: (f) => unusable(f, 'no such file'), unreadable: unusable, not_json: (f, d) => unusable(f, `not valid JSON (${d})`) } });
}

export function listBoards(dir = BOARDS_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}
