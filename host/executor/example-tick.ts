// An example tick module (used by tests and the benchmark): hold, a fixed action, or a sine on one joint.
import type { Action, TickController, TickInit, TickInput } from './contract.ts';
import { z } from 'zod';

const Fixed = z.strictObject({
  source: z.string().nullable().optional(),
  position_rad: z.record(z.string(), z.number()).optional(),
  velocity_radps: z.record(z.string(), z.number()).optional(),
});
const Sine = z.strictObject({ joint: z.string(), center_rad: z.number(), amplitude_rad: z.number(), frequency_hz: z.number().positive() });
const Options = z.strictObject({ controller: z.string().default('hold'), params: z.unknown().optional() }).default({ controller: 'hold' });

const HOLD: Action = {};

export function createTick(init: TickInit): TickController {
  let step: (input: TickInput) => Action = () => HOLD;

  function select(name: string, params: unknown): void {
    if (name === 'hold') {
      step = () => HOLD;
    } else if (name === 'fixed') {
      // Parsed once here, then the same object is returned every tick: no allocation in step().
      const action: Action = Fixed.parse(params);
      step = () => action;
    } else if (name === 'sine') {
      const p = Sine.parse(params);
      if (!init.joints.some((j) => j.name === p.joint && j.kind === 'position')) throw new Error(`sine: "${p.joint}" is not a position joint`);
      const target: Record<string, number> = { [p.joint]: p.center_rad };
      const action: Action = { position_rad: target };
      const w = 2 * Math.PI * p.frequency_hz;
      step = (input) => {
        target[p.joint] = p.center_rad + p.amplitude_rad * Math.sin(w * input.tick * input.period_s);
        return action;
      };
    } else {
      throw new Error(`unknown controller "${name}"; this tick has hold, fixed, sine`);
    }
  }

  const o = Options.parse(init.options ?? undefined);
  select(o.controller, o.params);
  return { step: (input) => step(input), select };
}
