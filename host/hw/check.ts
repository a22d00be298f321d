// Wiring checks: every pin a robot file uses exists on its node's board, is free, and can do what it is used for.
import { listBoards, loadBoard, type Board, type PinCap } from './board.ts';
import type { NodeWiring, Robot } from './robot.ts';

/** One wiring mistake; `message` is the whole sentence a user reads, naming node, pin and use. */
export interface WiringProblem {
  node: string;
  pin?: string;
  message: string;
}

/**
 * What a pin must offer for a use. 'edge' (encoders) = a pin-change interrupt: firmware/hal/avr/encoder_avr.c decodes
 * quadrature on PCINT groups only, so the Mega's INT4/INT5/INT0-3 pins (D2, D3, D18-D21), which have no PCINT, are
 * refused by the firmware and must be refused here too.
 */
type Need = 'digital' | 'pwm' | 'edge' | 'adc';

/** One use of a board pin, e.g. "motor shoulder pwm" on D5. */
export interface PinUse {
  pin: string;
  use: string;
  need: Need;
}

/** Every pin a node uses, in wiring order; the SVG renderer uses the same list. */
export function pinUses(node: NodeWiring): PinUse[] {
  const uses: PinUse[] = [];
  for (const m of node.motors) {
    const of = `motor ${m.joint}`;
    uses.push({ pin: m.pwm, use: `${of} pwm`, need: 'pwm' });
    uses.push({ pin: m.in1, use: `${of} in1`, need: 'digital' });
    if (m.in2) uses.push({ pin: m.in2, use: `${of} in2`, need: 'digital' });
    uses.push({ pin: m.enc_a, use: `encoder A of ${of}`, need: 'edge' });
    uses.push({ pin: m.enc_b, use: `encoder B of ${of}`, need: 'edge' });
    if (m.limit_neg) uses.push({ pin: m.limit_neg, use: `negative limit switch of ${of}`, need: 'digital' });
    if (m.limit_pos) uses.push({ pin: m.limit_pos, use: `positive limit switch of ${of}`, need: 'digital' });
  }
  for (const m of node.open_motors) {
    uses.push({ pin: m.pwm, use: `open-loop motor ${m.joint} pwm`, need: 'pwm' });
    uses.push({ pin: m.dir, use: `open-loop motor ${m.joint} dir`, need: 'digital' });
  }
  for (const s of node.servos) uses.push({ pin: s.pin, use: `servo ${s.joint}`, need: 'digital' });
  for (const o of node.outputs) uses.push({ pin: o.pin, use: `${o.mode} output ${o.name}`, need: o.mode });
  for (const a of node.analog) uses.push({ pin: a.pin, use: `analog ${a.name}`, need: 'adc' });
  for (const i of node.inputs) uses.push({ pin: i.pin, use: `${i.role === 'estop' ? 'e-stop' : 'input'} ${i.name}`, need: 'digital' });
  return uses;
}

/** "D2, D3, D5-D8, A0-A5": board pins grouped by prefix, runs of three or more shortened. */
export function pinList(names: string[]): string {
  const parsed = names.map((n) => ({ n, prefix: n.replace(/\d+$/, ''), num: Number(n.match(/\d+$/)?.[0] ?? NaN) }));
  const out: string[] = [];
  for (let i = 0; i < parsed.length; ) {
    let j = i;
    while (j + 1 < parsed.length && parsed[j + 1]!.prefix === parsed[i]!.prefix && parsed[j + 1]!.num === parsed[j]!.num + 1) j++;
    if (j - i >= 2) out.push(`${parsed[i]!.n}-${parsed[j]!.n}`);
    else for (let k = i; k <= j; k++) out.push(parsed[k]!.n);
    i = j + 1;
  }
  return out.join(', ');
}

function has(board: Board, pin: string, cap: PinCap): boolean {
  return board.pins[pin]?.caps.includes(cap) ?? false;
}

function meets(board: Board, pin: string, need: Need): boolean {
  if (need === 'edge') return has(board, pin, 'pcint');
  return has(board, pin, need);
}

/** Pins of the board, in file order, that can serve `need` and are not reserved. */
function pinsFor(board: Board, need: Need): string {
  return pinList(Object.keys(board.pins).filter((p) => !board.reserved.includes(p) && meets(board, p, need)));
}

function lacks(board: Board, u: PinUse): string {
  switch (u.need) {
    case 'pwm': return `which has no PWM (PWM pins on ${board.id}: ${pinsFor(board, 'pwm')})`;
    case 'edge': {
      const intOnly = has(board, u.pin, 'interrupt') ? ' (its external interrupt is not used: the firmware decodes encoders on pin-change interrupts)' : '';
      return `which has no pin-change interrupt${intOnly}; encoder pins on ${board.id}: ${pinsFor(board, 'edge')}`;
    }
    case 'adc': return `which has no ADC (ADC pins on ${board.id}: ${pinsFor(board, 'adc')})`;
    case 'digital': return `which is not a digital pin (digital pins on ${board.id}: ${pinsFor(board, 'digital')})`;
  }
}

function checkIndexes(node: NodeWiring, say: (msg: string, pin?: string) => void): void {
  const groups: [string, { index: number; label: string }[]][] = [
    ['motor', node.motors.map((m) => ({ index: m.index, label: m.joint }))],
    ['open-loop motor', node.open_motors.map((m) => ({ index: m.index, label: m.joint }))],
    ['servo', node.servos.map((s) => ({ index: s.index, label: s.joint }))],
    ['output', node.outputs.map((o) => ({ index: o.index, label: o.name }))],
    ['analog', node.analog.map((a) => ({ index: a.index, label: a.name }))],
    ['input', node.inputs.map((i) => ({ index: i.index, label: i.name }))],
  ];
  for (const [kind, items] of groups) {
    const seen = new Map<number, string>();
    for (const it of items) {
      const first = seen.get(it.index);
      if (first !== undefined) say(`${kind} index ${it.index} is used twice: ${first} and ${it.label}; give each ${kind} its own index`);
      else seen.set(it.index, it.label);
    }
  }
}

function checkServos(node: NodeWiring, say: (msg: string, pin?: string) => void): void {
  for (const s of node.servos) {
    if (s.min_us >= s.max_us) {
      say(`servo ${s.joint} has min_us ${s.min_us} >= max_us ${s.max_us}; min_us must be below max_us`, s.pin);
    } else if (s.default_us !== 0 && (s.default_us < s.min_us || s.default_us > s.max_us)) {
      say(`servo ${s.joint} has default_us ${s.default_us}, outside its range ${s.min_us}-${s.max_us} us; use a pulse in that range, or 0 for no pulse`, s.pin);
    }
  }
}

/** What each firmware can drive: StandardFirmata has no encoders (no closed-loop motors); Ganglion's firmware no open-loop ones. */
function checkKind(node: NodeWiring, board: Board, say: (msg: string, pin?: string) => void): void {
  if (board.kind === 'firmata') {
    for (const m of node.motors) {
      say(`motor ${m.joint} needs encoder feedback, but ${board.id} runs StandardFirmata, which counts no encoders; wire it under open_motors (PWM + direction, open loop) or put it on a Ganglion board`, m.enc_a);
    }
    for (const o of node.outputs) {
      if (o.mode === 'digital' && o.default_permille !== 0 && o.default_permille !== 1000) say(`digital output ${o.name} has default_permille ${o.default_permille}; a digital pin is low (0) or high (1000)`, o.pin);
    }
  } else {
    for (const m of node.open_motors) {
      say(`open-loop motor ${m.joint} is for Firmata boards; on ${board.id} (Ganglion firmware) wire it under motors, with its encoder`, m.pwm);
    }
    for (const o of node.outputs) {
      say(`output ${o.name} is for Firmata boards (johnny-five Led/Pin); Ganglion's firmware drives motors and servos only: move it to a Firmata board`, o.pin);
    }
  }
}

/** Every problem of a robot's wiring, in file order; an empty list means the robot can be flashed and run. */
export function checkRobot(robot: Robot, loadBoardFn: (id: string) => Board = (id) => loadBoard(id)): WiringProblem[] {
  const problems: WiringProblem[] = [];
  const nodeIds = new Set<string>();
  for (const node of robot.nodes) {
    const say = (msg: string, pin?: string): void => {
      problems.push({ node: node.id, ...(pin ? { pin } : {}), message: `node "${node.id}": ${msg}` });
    };
    if (nodeIds.has(node.id)) say(`the node id is used twice; give every node its own id`);
    nodeIds.add(node.id);
    checkIndexes(node, say);
    checkServos(node, say);

    let board: Board;
    try {
      board = loadBoardFn(node.board);
    } catch {
      say(`board "${node.board}" does not exist; use one of: ${listBoards().join(', ')}`);
      continue;
    }
    checkKind(node, board, say);
    const uses = pinUses(node);
    const byPin = new Map<string, PinUse[]>();
    for (const u of uses) byPin.set(u.pin, [...(byPin.get(u.pin) ?? []), u]);

    for (const [pin, list] of byPin) {
      if (list.length > 1) {
        const times = list.length === 2 ? 'twice' : `${list.length} times`;
        const names = list.map((u) => u.use);
        say(`pin ${pin} is used ${times}: ${names.slice(0, -1).join(', ')} and ${names.at(-1)}`, pin);
      }
    }
    for (const u of uses) {
      const def = board.pins[u.pin];
      if (!def) {
        say(`${u.use} is on ${u.pin}, which ${board.id} does not have (its pins: ${pinList(Object.keys(board.pins))})`, u.pin);
      } else if (board.reserved.includes(u.pin)) {
        say(`${u.use} is on ${u.pin}, which the firmware reserves (${def.note ?? 'the host link'}); move it to a free pin`, u.pin);
      } else if (!meets(board, u.pin, u.need)) {
        say(`${u.use} is on ${u.pin}, ${lacks(board, u)}`, u.pin);
      }
    }
    for (const m of node.motors) {
      if (m.driver.part !== 'DRV8871' && m.in2 === null) {
        say(`motor ${m.joint} uses a ${m.driver.part}, which needs both direction inputs; wire its in2 pin`);
      }
    }
  }
  return problems;
}

/** Throws the first wiring problem (the message a user reads); returns quietly when the wiring is fine. */
export function assertRobotOk(robot: Robot, loadBoardFn?: (id: string) => Board): void {
  const problems = checkRobot(robot, loadBoardFn);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: run ganglion schematic to list them)` : '';
    throw new Error(`${problems[0]!.message}${more}`);
  }
}
