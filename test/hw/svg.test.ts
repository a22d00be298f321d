// SVG rendering: well-formed XML, every wired pin labelled, and the committed schematics/reference-robot.svg is fresh.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadBoard } from '../../host/hw/board.ts';
import { pinUses } from '../../host/hw/check.ts';
import { loadRobot, REFERENCE_ROBOT } from '../../host/hw/robot.ts';
import { renderRobotSvg } from '../../host/hw/svg.ts';
import { defaultSvgPath, main as schematic } from '../../host/cli/schematic.ts';

/**
 * A small XML well-formedness check, scanning characters (no regex): tags balance and nest, attributes are
 * quoted, text holds no raw '<' or unescaped '&'. Returns the element names in document order.
 */
function parseXml(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const nameChar = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === ':' || c === '_';
  const readName = (): string => {
    const start = i;
    while (i < xml.length && nameChar(xml[i]!)) i++;
    if (i === start) fail('expected a name');
    return xml.slice(start, i);
  };
  const skipSpace = (): void => {
    while (i < xml.length && ' \n\t\r'.includes(xml[i]!)) i++;
  };
  const checkEntities = (s: string): void => {
    for (let k = s.indexOf('&'); k >= 0; k = s.indexOf('&', k + 1)) {
      const semi = s.indexOf(';', k);
      if (semi < 0 || !['amp', 'lt', 'gt', 'quot', 'apos'].includes(s.slice(k + 1, semi))) fail('bare & in text');
    }
  };
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const next = xml.indexOf('<', i);
      const end = next < 0 ? xml.length : next;
      const content = xml.slice(i, end);
      if (stack.length === 0 && content.trim() !== '') fail('text outside the root element');
      checkEntities(content);
      i = end;
      continue;
    }
    i++;
    if (xml[i] === '/') {
      i++;
      const name = readName();
      skipSpace();
      if (xml[i] !== '>') fail('expected > after a closing tag');
      i++;
      if (stack.pop() !== name) fail(`</${name}> does not close the open element`);
      continue;
    }
    const name = readName();
    if (stack.length === 0 && names.length > 0) fail('a second root element');
    names.push(name);
    for (;;) {
      skipSpace();
      if (xml[i] === '/' && xml[i + 1] === '>') { i += 2; break; }
      if (xml[i] === '>') { i++; stack.push(name); break; }
      readName();
      if (xml[i] !== '=' || xml[i + 1] !== '"') fail('attribute without a quoted value');
      const close = xml.indexOf('"', i + 2);
      if (close < 0) fail('unterminated attribute');
      const value = xml.slice(i + 2, close);
      if (value.includes('<')) fail('< in an attribute');
      checkEntities(value);
      i = close + 1;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
  return names;
}

const robot = loadRobot();
const svg = renderRobotSvg(robot);

t.test('the checker itself catches broken XML', async (t) => {
  t.throws(() => parseXml('<svg><g></svg>'));
  t.throws(() => parseXml('<svg><text>a < b</text></svg>'));
  t.throws(() => parseXml('<svg x=1/>'));
  t.throws(() => parseXml('<svg>&nope;</svg>'));
  t.same(parseXml('<svg a="1"><g/><text>a &amp; b</text></svg>'), ['svg', 'g', 'text']);
});

t.test('the reference robot renders to well-formed SVG', async (t) => {
  const names = parseXml(svg);
  t.equal(names[0], 'svg');
  t.ok(names.includes('line') && names.includes('rect') && names.includes('text'));
});

t.test('every wired pin appears with its MCU pin, and every driver pin name', async (t) => {
  for (const node of robot.nodes) {
    const board = loadBoard(node.board);
    t.ok(svg.includes(`node "${node.id}"`), node.id);
    for (const u of pinUses(node)) t.ok(svg.includes(`>${u.pin} · ${board.pins[u.pin]!.mcu_pin}<`), `${node.id} ${u.use} on ${u.pin}`);
  }
  for (const name of ['PWMA', 'AIN1', 'AIN2', 'AO1', 'AO2', 'PWMB', 'BIN1', 'BIN2', 'BO1', 'BO2', 'ENC A', 'ENC B', 'servo gripper', 'E-STOP estop', 'potentiometer pot_elbow', 'button button']) {
    t.ok(svg.includes(name), name);
  }
});

t.test('L298N channels and text needing escapes render', async (t) => {
  const r = structuredClone(robot);
  r.description = 'a <test> & "quotes"';
  r.nodes[0]!.motors[0]!.driver = { part: 'L298N', channel: 'A' };
  r.nodes[0]!.motors[1]!.driver = { part: 'L298N', channel: 'B' };
  const s = renderRobotSvg(r);
  parseXml(s);
  for (const name of ['ENA', 'IN1', 'IN2', 'OUT1', 'OUT2', 'ENB', 'IN3', 'IN4', 'OUT3', 'OUT4', '&lt;test&gt; &amp; "quotes"']) t.ok(s.includes(name), name);
});

t.test('the committed schematics/reference-robot.svg equals a fresh render (run: ganglion schematic)', async (t) => {
  const committed = readFileSync(defaultSvgPath(REFERENCE_ROBOT), 'utf8');
  t.equal(committed, svg, 'stale: run `npx tsx host/cli/main.ts schematic` and commit schematics/reference-robot.svg');
});

t.test('ganglion schematic writes the SVG, or refuses a bad robot with the list of problems', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gng-schematic-'));
  const out = path.join(dir, 'r.svg');
  const stdout = t.capture(process.stdout, 'write');
  t.equal(await schematic([REFERENCE_ROBOT, '--out', out]), 0);
  t.match(stdout().map((c) => c.args[0]).join(''), 'wiring ok');
  t.equal(readFileSync(out, 'utf8'), svg);

  const bad = JSON.parse(readFileSync(REFERENCE_ROBOT, 'utf8'));
  bad.nodes[1].servos[0].pin = 'D5';
  bad.nodes[2].analog[1].pin = 'D7';
  const badFile = path.join(dir, 'bad.json');
  writeFileSync(badFile, JSON.stringify(bad));
  const stderr = t.capture(process.stderr, 'write');
  t.equal(await schematic([badFile]), 1);
  const err = stderr().map((c) => c.args[0]).join('');
  t.match(err, 'has 2 wiring problems');
  t.match(err, 'node "arm": pin D5 is used twice: motor shoulder pwm and servo gripper');
  t.match(err, 'node "leader": analog pot_elbow is on D7, which has no ADC');
  t.throws(() => readFileSync(path.join(dir, 'bad.svg')), 'no SVG for a robot that fails its checks');
});
