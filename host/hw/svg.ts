// Renders a robot's wiring as a plain SVG diagram: per node the board's used pins, the motor drivers, motors, encoders and sensors.
import { loadBoard, type Board } from './board.ts';
import type { NodeWiring, Robot } from './robot.ts';

type MotorWiring = NodeWiring['motors'][number];

/** [px] layout grid. Every wire is one horizontal line: parts sit on the rows of the pins they use. */
const ROW_PX = 22;
const BAND_PX = 16; // title band above each part
const GAP_PX = 8;
const BOARD = { x: 20, w: 180 };
const DRIVER = { x: 300, w: 130 };
const PART = { x: 530, w: 240 };
const WIDTH_PX = PART.x + PART.w + 20;

/** Wire colours by signal kind, so a PWM line is told from an encoder line at a glance. */
const COLOR = { pwm: '#d9480f', dir: '#1c7ed6', enc: '#2b8a3e', power: '#495057', switch: '#868e96', servo: '#9c36b5', analog: '#0b7285' } as const;
type Kind = keyof typeof COLOR;

/** Escapes element text. User text never goes into attributes, so quotes may stay as they are. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Greedy word wrap for the robot's description: SVG text does not wrap by itself. */
function wrap(s: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/)) {
    if (line && line.length + 1 + word.length > maxChars) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** One board pin on one row, wired to a pin of a driver (column 2) or of a part (column 3). */
interface Row {
  pin: string;
  kind: Kind;
  to: 'driver' | 'part';
  label: string;
}

/** A group of consecutive rows drawn together: a motor with its driver, or one sensor/actuator. */
interface Group {
  rows: Row[];
  draw: (top: number, rowY: (i: number) => number, out: string[]) => void;
}

function text(x: number, y: number, s: string, cls: string, anchor: 'start' | 'middle' | 'end' = 'start'): string {
  return `<text x="${x}" y="${y}" class="${cls}" text-anchor="${anchor}">${esc(s)}</text>`;
}

function box(x: number, y: number, w: number, h: number, cls: string): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" class="${cls}"/>`;
}

function wire(x1: number, x2: number, y: number, kind: Kind): string {
  return `<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y}" stroke="${COLOR[kind]}" stroke-width="2"/>`;
}

/** Input and output pin names of one H-bridge channel, as printed on the breakout boards. */
function driverPins(m: MotorWiring): { pwm: string; in1: string; in2: string; out: [string, string] } {
  const b = m.driver.channel === 'B';
  switch (m.driver.part) {
    case 'TB6612FNG':
      return b ? { pwm: 'PWMB', in1: 'BIN1', in2: 'BIN2', out: ['BO1', 'BO2'] } : { pwm: 'PWMA', in1: 'AIN1', in2: 'AIN2', out: ['AO1', 'AO2'] };
    case 'L298N':
      return b ? { pwm: 'ENB', in1: 'IN3', in2: 'IN4', out: ['OUT3', 'OUT4'] } : { pwm: 'ENA', in1: 'IN1', in2: 'IN2', out: ['OUT1', 'OUT2'] };
    case 'DRV8871':
      return { pwm: 'PWM', in1: 'IN1', in2: 'IN2', out: ['OUT1', 'OUT2'] };
  }
}

function motorGroup(m: MotorWiring): Group {
  const dp = driverPins(m);
  const rows: Row[] = [
    { pin: m.pwm, kind: 'pwm', to: 'driver', label: dp.pwm },
    { pin: m.in1, kind: 'dir', to: 'driver', label: dp.in1 },
    ...(m.in2 ? [{ pin: m.in2, kind: 'dir' as const, to: 'driver' as const, label: dp.in2 }] : []),
    { pin: m.enc_a, kind: 'enc', to: 'part', label: 'ENC A' },
    { pin: m.enc_b, kind: 'enc', to: 'part', label: 'ENC B' },
  ];
  const driverRows = m.in2 ? 3 : 2;
  return {
    rows,
    draw: (top, rowY, out) => {
      const dTop = top + BAND_PX;
      out.push(text(DRIVER.x, top + 11, `${m.driver.part} ch ${m.driver.channel}`, 'title'));
      out.push(box(DRIVER.x, dTop, DRIVER.w, driverRows * ROW_PX, 'driver'));
      out.push(text(PART.x, top + 11, `motor ${m.joint} (#${m.index})`, 'title'));
      out.push(box(PART.x, dTop, PART.w, rows.length * ROW_PX, 'part'));
      // The driver's outputs feed the motor's terminals on the rows of its direction inputs.
      const outRows = m.in2 ? [1, 2] : [0, 1];
      const terminals = m.invert_dir ? ['M-', 'M+'] : ['M+', 'M-'];
      outRows.forEach((r, k) => {
        const y = rowY(r);
        out.push(text(DRIVER.x + DRIVER.w - 6, y + 4, dp.out[k]!, 'pin', 'end'));
        out.push(wire(DRIVER.x + DRIVER.w, PART.x, y, 'power'));
        out.push(text(PART.x + 6, y + 4, terminals[k]!, 'pin'));
      });
      const note = [`1:${m.gear_ratio} gear`, `${m.encoder_cpr} CPR`, m.invert_encoder ? 'enc inverted' : ''].filter(Boolean).join(', ');
      out.push(text(PART.x + PART.w - 6, rowY(0) + 4, note, 'note', 'end'));
    },
  };
}

function limitGroup(m: MotorWiring, pin: string, side: 'negative' | 'positive'): Group {
  return {
    rows: [{ pin, kind: 'switch', to: 'driver', label: 'SW' }],
    draw: (top, _rowY, out) => {
      out.push(text(DRIVER.x, top + 11, `${side} limit of ${m.joint}`, 'title'));
      out.push(box(DRIVER.x, top + BAND_PX, DRIVER.w, ROW_PX, 'switch'));
      out.push(text(DRIVER.x + DRIVER.w - 6, top + BAND_PX + 15, 'to GND', 'note', 'end'));
    },
  };
}

/** An open-loop motor of a Firmata board: PWM and direction into its driver, no encoder rows. */
function openMotorGroup(m: NodeWiring['open_motors'][number]): Group {
  const rows: Row[] = [
    { pin: m.pwm, kind: 'pwm', to: 'part', label: 'PWM' },
    { pin: m.dir, kind: 'dir', to: 'part', label: 'DIR' },
  ];
  return {
    rows,
    draw: (top, _rowY, out) => {
      out.push(text(PART.x, top + 11, `open-loop motor ${m.joint} (#${m.index})`, 'title'));
      out.push(box(PART.x, top + BAND_PX, PART.w, rows.length * ROW_PX, 'part'));
      out.push(text(PART.x + PART.w - 6, top + BAND_PX + 15, 'no encoder: open loop', 'note', 'end'));
    },
  };
}

function partGroup(title: string, row: Row, note: string, cls: string): Group {
  return {
    rows: [row],
    draw: (top, _rowY, out) => {
      out.push(text(PART.x, top + 11, title, 'title'));
      out.push(box(PART.x, top + BAND_PX, PART.w, ROW_PX, cls));
      out.push(text(PART.x + PART.w - 6, top + BAND_PX + 15, note, 'note', 'end'));
    },
  };
}

function groups(node: NodeWiring): Group[] {
  const g: Group[] = [];
  for (const m of node.motors) {
    g.push(motorGroup(m));
    if (m.limit_neg) g.push(limitGroup(m, m.limit_neg, 'negative'));
    if (m.limit_pos) g.push(limitGroup(m, m.limit_pos, 'positive'));
  }
  for (const m of node.open_motors) g.push(openMotorGroup(m));
  for (const o of node.outputs) {
    g.push(partGroup(`${o.mode} output ${o.name} (#${o.index})`, { pin: o.pin, kind: o.mode === 'pwm' ? 'pwm' : 'dir', to: 'part', label: o.mode === 'pwm' ? 'PWM' : 'OUT' }, `safe ${o.default_permille} permille`, 'part'));
  }
  for (const s of node.servos) {
    const dflt = s.default_us === 0 ? 'limp when safe' : `safe ${s.default_us} us`;
    g.push(partGroup(`servo ${s.joint} (#${s.index})`, { pin: s.pin, kind: 'servo', to: 'part', label: 'SIG' }, `${s.min_us}-${s.max_us} us, ${dflt}`, 'part'));
  }
  for (const a of node.analog) {
    g.push(partGroup(`potentiometer ${a.name} (#${a.index})`, { pin: a.pin, kind: 'analog', to: 'part', label: 'WIPER' }, '5V / GND ends', 'part'));
  }
  for (const i of node.inputs) {
    const how = `${i.active_low ? 'active low' : 'active high'}${i.pullup ? ', pull-up' : ''}`;
    const title = i.role === 'estop' ? `E-STOP ${i.name} (#${i.index})` : `button ${i.name} (#${i.index})`;
    g.push(partGroup(title, { pin: i.pin, kind: 'switch', to: 'part', label: 'SW' }, how, i.role === 'estop' ? 'estop' : 'part'));
  }
  return g;
}

function renderNode(node: NodeWiring, board: Board, top: number, out: string[]): number {
  const kind = board.kind === 'firmata' ? ' [Firmata: no board watchdog, open loop]' : '';
  out.push(text(BOARD.x, top + 14, `node "${node.id}": ${board.name}${kind}`, 'node'));
  const boardTop = top + 24;
  let y = boardTop + 22; // board title band
  const body: string[] = [];
  const gs = groups(node);
  for (const g of gs) {
    const partTop = y;
    const rowY = (i: number): number => partTop + BAND_PX + i * ROW_PX + ROW_PX / 2;
    g.draw(partTop, rowY, body);
    g.rows.forEach((r, i) => {
      const ry = rowY(i);
      const mcu = board.pins[r.pin]?.mcu_pin ?? '?';
      const x2 = r.to === 'driver' ? DRIVER.x : PART.x;
      body.push(wire(BOARD.x + BOARD.w, x2, ry, r.kind));
      body.push(`<rect x="${BOARD.x + BOARD.w - 4}" y="${ry - 4}" width="8" height="8" class="pad"/>`);
      body.push(text(BOARD.x + BOARD.w - 10, ry + 4, `${r.pin} · ${mcu}`, 'pin', 'end'));
      body.push(text(x2 + 6, ry + 4, r.label, 'pin'));
    });
    y = partTop + BAND_PX + g.rows.length * ROW_PX + GAP_PX;
  }
  if (gs.length === 0) {
    body.push(text(BOARD.x + 10, y + 14, '(nothing wired)', 'note'));
    y += ROW_PX;
  }
  out.push(box(BOARD.x, boardTop, BOARD.w, y - boardTop, 'board'));
  out.push(text(BOARD.x + 8, boardTop + 15, `${board.id} · ${board.mcu}`, 'title'));
  out.push(...body);
  return y + 20;
}

/** The whole robot as an SVG document (deterministic: the same robot gives the same bytes). Check the wiring first. */
export function renderRobotSvg(robot: Robot, loadBoardFn: (id: string) => Board = (id) => loadBoard(id)): string {
  const out: string[] = [];
  const intro = wrap(`${robot.name}: ${robot.description}`, 110).map((line, i) => text(BOARD.x, 18 + i * 15, line, i === 0 ? 'title' : 'note'));
  const legendY = 18 + intro.length * 15;
  let y = legendY + 16;
  for (const node of robot.nodes) y = renderNode(node, loadBoardFn(node.board), y, out);
  const height = y;
  const legend = (Object.keys(COLOR) as Kind[]).map((k, i) => {
    const x = BOARD.x + i * 100;
    return `${wire(x, x + 24, legendY - 4, k)}${text(x + 30, legendY, k, 'note')}`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${height}" viewBox="0 0 ${WIDTH_PX} ${height}">`,
    `<title>${esc(`${robot.name}: wiring`)}</title>`,
    '<style>',
    '  text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; fill: #212529; }',
    '  .node { font-size: 14px; font-weight: bold; }',
    '  .title { font-weight: bold; }',
    '  .note { fill: #868e96; font-size: 10px; }',
    '  .board { fill: #e7f5ff; stroke: #1864ab; stroke-width: 1.5; }',
    '  .driver { fill: #fff4e6; stroke: #d9480f; stroke-width: 1.5; }',
    '  .part { fill: #f8f9fa; stroke: #495057; stroke-width: 1.5; }',
    '  .switch { fill: #f8f9fa; stroke: #868e96; stroke-width: 1.5; stroke-dasharray: 4 2; }',
    '  .estop { fill: #ffe3e3; stroke: #c92a2a; stroke-width: 2; }',
    '  .pad { fill: #ffd43b; stroke: #495057; }',
    '</style>',
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    ...intro,
    ...legend,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
