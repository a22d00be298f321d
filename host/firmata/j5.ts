// johnny-five and firmata-io loaded once (both CommonJS), with the few shapes of their API this project uses.
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

const require = createRequire(import.meta.url);

/** firmata-io's board object: the johnny-five io. */
export interface FirmataIo extends EventEmitter {
  isReady: boolean;
  version: { major?: number; minor?: number };
  firmware: { name?: string; version?: { major: number; minor: number } };
  pins: { supportedModes: number[]; analogChannel: number }[];
  analogPins: number[];
  MODES: Record<string, number>;
  reportVersion(cb: () => void): void;
  queryFirmware(cb: () => void): void;
  pinMode(pin: number, mode: number): void;
  digitalWrite(pin: number, value: number): void;
  analogWrite(pin: number, value: number): void;
  servoWrite(pin: number, value: number): void;
  servoConfig(pin: number, min: number, max: number): void;
  reset(): void;
}

export interface FirmataIoCtor {
  new (port: EventEmitter, options: Record<string, unknown>): FirmataIo;
}

/** The subset of johnny-five's classes used here; each component takes `board` so several boards can coexist. */
export interface Five {
  Board: new (opts: Record<string, unknown>) => EventEmitter & { io: FirmataIo; isReady: boolean };
  Servo: new (opts: Record<string, unknown>) => { to(deg: number): void; value: number | null; pin: number };
  Motor: new (opts: Record<string, unknown>) => { forward(speed: number): void; reverse(speed: number): void; stop(): void };
  Led: new (opts: Record<string, unknown>) => { on(): void; off(): void; brightness(v: number): void };
  Pin: new (opts: Record<string, unknown>) => { high(): void; low(): void };
  Sensor: new (opts: Record<string, unknown>) => EventEmitter & { value: number | null; raw: number | null };
  Button: new (opts: Record<string, unknown>) => EventEmitter & { isDown: boolean };
}

let cached: { five: Five; Firmata: FirmataIoCtor } | null = null;

/** Loaded lazily: johnny-five pulls in lodash and friends, which a robot without a Firmata board never needs. */
export function j5(): { five: Five; Firmata: FirmataIoCtor } {
  if (!cached) cached = { five: require('johnny-five') as Five, Firmata: (require('firmata-io') as { Firmata: FirmataIoCtor }).Firmata };
  return cached;
}
