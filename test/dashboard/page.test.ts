// The dashboard page in headless Chromium against the real embedded broker and a scripted robot: login and refusals, live data,
// bad payloads shown not fatal, commands with replies, keyboard teleop with its deadman, and a viewer who cannot command.
// The scripted robot stands in for the bridge only because these cases need payloads a real bridge never sends (broken
// ones, a robot vanishing on cue); the same flows on the real stack (bridge, runtime, emulated MCUs) are in dashboard.test.ts.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import type { EmbeddedBroker } from '../../host/bridge/broker.ts';
import { startDashboard, type Dashboard } from '../../host/dashboard/server.ts';
import { launchChromium, login, openDashboard } from './helpers/browser.ts';
import { PASSWORDS, startTestBroker } from './helpers/broker.ts';
import { FakeRobot } from './helpers/fake-robot.ts';

const WAIT = { timeout: 15_000 };
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
let broker: EmbeddedBroker;
let robot: FakeRobot;
let dash: Dashboard;
let browser: Browser;

t.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  broker = await startTestBroker(['r1']);
  robot = new FakeRobot('r1');
  await robot.start(broker.tcpUrl, 'robot', PASSWORDS.robot);
  dash = await startDashboard({ brokerWsUrl: broker.wsUrl! });
  browser = await launchChromium();
});
t.teardown(async () => {
  await browser?.close();
  await dash?.close();
  await robot?.stop();
  await broker?.close();
});

const until = async (what: string, cond: () => boolean | Promise<boolean>, timeout_ms = 10_000) => {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const text = (page: Page, sel: string) => page.locator(sel).first().innerText();

t.test('the server serves the page, its bundle, its connection worker and the broker URL, with a CSP, and nothing else', async (t) => {
  const html = await fetch(dash.url);
  t.equal(html.status, 200);
  t.match(html.headers.get('content-security-policy') ?? '', /default-src 'self'.*connect-src 'self' ws:\/\/127\.0\.0\.1:\d+/);
  t.match(await html.text(), /<script type="module" src="\/app.js">/);
  const js = await fetch(new URL('/app.js', dash.url));
  t.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.ok((await js.arrayBuffer()).byteLength > 100_000, 'the bundle carries zod and uPlot');
  const worker = await fetch(new URL('/connection-worker.js', dash.url));
  t.equal(worker.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.match(worker.headers.get('content-security-policy') ?? '', /worker-src 'self'/, 'the worker gets the page\'s CSP');
  t.ok((await worker.arrayBuffer()).byteLength > 100_000, 'the connection worker carries mqtt and zod');
  t.same(await (await fetch(new URL('/config.json', dash.url))).json().then((c: { broker_ws_url: string }) => c.broker_ws_url), broker.wsUrl);
  t.equal((await fetch(new URL('/../host/bridge/users.ts', dash.url))).status, 404, 'no file serving beyond the five routes');
  t.equal((await fetch(dash.url, { method: 'POST' })).status, 405);
});

t.test('a wrong password is refused by the broker, and the page says so', async (t) => {
  const page = await browser.newPage();
  await page.goto(dash.url);
  await login(page, 'operator', 'wrong-password');
  await page.waitForFunction(() => document.getElementById('login-error')!.textContent !== '', null, WAIT);
  t.match(await text(page, '#login-error'), /the broker refused the login: not authorized/);
  t.ok(await page.locator('#app-view').isHidden(), 'the dashboard stays closed');
  await page.close();
});

t.test('a broker that is not there: the page says it cannot reach it (not that it refused)', async (t) => {
  const nowhere = await startDashboard({ brokerWsUrl: 'ws://127.0.0.1:1' });
  const page = await browser.newPage();
  await page.goto(nowhere.url);
  t.equal(await text(page, '#login-broker'), 'ws://127.0.0.1:1', 'the login form names the broker');
  await login(page, 'operator', PASSWORDS.operator);
  await page.waitForSelector('#login-error:has-text("cannot reach the broker at ws://127.0.0.1:1")', WAIT);
  await page.close();
  await nowhere.close();
});

t.test('operator: robots online, live readouts and plots, link health, skills', async (t) => {
  const { page, errors } = await openDashboard(browser, dash.url, 'operator', PASSWORDS.operator);
  await page.waitForSelector('#app-view:not([hidden])', WAIT);
  await page.waitForSelector('#robot-list li[data-robot="r1"][data-online="true"]', WAIT);
  t.equal(await text(page, '#robot-name'), 'r1', 'the only robot online is selected by itself');
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  const first = await text(page, 'tr[data-joint="shoulder"] [data-field="position"]');
  await until('the shoulder readout to change', async () => (await text(page, 'tr[data-joint="shoulder"] [data-field="position"]')) !== first);
  await until('plots fed', async () => Number(await page.getAttribute('[data-plot="position"]', 'data-points')) > 20);
  await until('cadence plotted', async () => Number(await page.getAttribute('[data-plot="cadence"]', 'data-points')) > 1);
  await page.waitForSelector('#link-rows tr[data-node="arm"]', WAIT);
  t.match(await text(page, '#cadence-line'), /499\.80 Hz vs 500 Hz target/);
  t.match(await text(page, 'tr[data-skill="grasp"]'), /0\.20\s+nothing in reach/);
  await until('latency figure', async () => /telemetry age in browser p50 [\d.]+ ms/.test(await text(page, '#latency')));
  await page.screenshot({ path: `${ARTIFACTS}page-operator.png`, fullPage: true });
  t.same(errors, [], 'no page errors, no CSP violations');
  await page.close();
});

t.test('a malformed payload is shown in the event log, and the page keeps going', async (t) => {
  const { page, errors } = await openDashboard(browser, dash.url, 'operator', PASSWORDS.operator);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  await robot.raw('telemetry/arm', JSON.stringify({ robot: 'r1', node: 'arm', at_ms: 'yesterday' }));
  await robot.raw('link', '{not json');
  await robot.raw('telemetry/base', JSON.stringify({ robot: 'someone-else', node: 'base' }));
  await page.waitForSelector('#event-log li[data-kind="bad payload"]', WAIT);
  await until('three bad payloads logged', async () => (await page.locator('#event-log li[data-kind="bad payload"]').count()) === 3);
  const log = await text(page, '#event-log');
  t.match(log, /ganglion\/r1\/telemetry\/arm: at_ms: /, 'names the topic and the field');
  t.match(log, /ganglion\/r1\/link: not JSON/);
  t.match(log, /ganglion\/r1\/telemetry\/base: (robot|at_ms)/);
  const before = Number(await page.getAttribute('[data-plot="position"]', 'data-points'));
  await until('telemetry still plotted', async () => Number(await page.getAttribute('[data-plot="position"]', 'data-points')) > before + 10);
  t.same(errors, []);
  await page.close();
});

t.test('operator commands: e-stop on press, clear, a correction with its reply (accepted, or the accepted forms)', async (t) => {
  const { page, errors } = await openDashboard(browser, dash.url, 'operator', PASSWORDS.operator);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  const n0 = robot.commands.length;
  await page.click('#estop');
  await until('estop received', () => robot.commands.slice(n0).some((c) => c.name === 'estop'));
  t.equal(robot.commands.slice(n0).filter((c) => c.name === 'estop').length, 1, 'one e-stop per press (pointerdown, not also click)');
  t.ok(robot.commands.at(-1)!.hadResponseTopic, 'sent with a response topic');
  await page.waitForFunction(() => document.getElementById('command-notice')!.textContent === 'estop: accepted', null, WAIT);
  await page.waitForFunction(() => document.getElementById('robot-mode')!.dataset.mode === 'estop', null, WAIT);
  // The connection lives in a worker (connection-worker.ts): a page whose main thread is busy (a long render, a heavy
  // script) neither holds the e-stop back nor delays telemetry's arrival. Here the press is followed by 1 s of busy
  // main thread: the robot must have the e-stop long before that second ends, and telemetry that came during it must
  // carry its arrival time then, not the end of the busy second.
  const BUSY_MS = 1000;
  const n1 = robot.commands.length;
  const busy = await page.evaluate((busy_ms) => {
    const meter = (window as unknown as { ganglionDashboard: { latency: { add(node: string, rx: number, arrived: number, handled?: number): void } } }).ganglionDashboard.latency;
    const arrived: number[] = [];
    const add = meter.add.bind(meter);
    meter.add = (node, rx, at, handled) => { arrived.push(at); add(node, rx, at, handled); };
    const start = performance.timeOrigin + performance.now();
    document.getElementById('estop')!.dispatchEvent(new PointerEvent('pointerdown', { button: 0, bubbles: true }));
    const t0 = performance.now();
    while (performance.now() - t0 < busy_ms) { /* the page's main thread is busy */ }
    const end = performance.timeOrigin + performance.now();
    // Let the messages queued for the main thread be handled, then read their arrival stamps.
    return new Promise<{ start: number; end: number; arrived: number[] }>((resolve) => setTimeout(() => {
      meter.add = add;
      resolve({ start, end, arrived });
    }, 200));
  }, BUSY_MS);
  await until('the second e-stop received', () => robot.commands.slice(n1).some((c) => c.name === 'estop'));
  const estopAt = robot.commands.slice(n1).find((c) => c.name === 'estop')!.at_ms;
  t.ok(estopAt < busy.end - BUSY_MS / 2, `the e-stop reached the robot ${(estopAt - busy.start).toFixed(0)} ms after the press, while the page's main thread was still busy (${BUSY_MS} ms)`);
  const during = busy.arrived.filter((a) => a > busy.start + 100 && a < busy.end - 100);
  t.ok(during.length >= 10, `telemetry stamped on arrival while the main thread was busy: ${during.length} of ${busy.arrived.length} messages (50 Hz)`);
  await page.click('#clear');
  await page.waitForFunction(() => document.getElementById('command-notice')!.textContent === 'clear: accepted', null, WAIT);

  await page.fill('#correction', 'a bit to the left');
  await page.press('#correction', 'Enter');
  await page.waitForSelector('#correction-reply[data-ok="true"]:has-text("accepted")', WAIT);
  t.match(await text(page, '#correction-reply'), /correction: accepted — \{"type":"nudge"/);
  await page.fill('#correction', 'do a barrel roll');
  await page.click('#correction-send');
  await page.waitForSelector('#correction-reply[data-ok="false"]', WAIT);
  t.match(await text(page, '#correction-reply'), /accepted forms/);
  await page.fill('#correction', '');
  await page.click('#correction-send');
  await page.waitForSelector('#correction-reply:has-text("phrase")', WAIT);
  t.notOk(robot.commands.some((c) => c.name === 'correction' && (c.payload as { phrase?: string }).phrase === ''), 'an empty phrase never leaves the page');
  t.match(await text(page, '#event-log'), /reply correction/);
  t.same(errors, []);
  await page.close();
});

t.test('keyboard teleop publishes at ~20 Hz with deadman only while a key is held; letting go releases', async (t) => {
  const { page, errors } = await openDashboard(browser, dash.url, 'operator', PASSWORDS.operator);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  await page.keyboard.down('ArrowUp');
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(robot.commands.some((c) => c.name === 'teleop'), 'nothing while keyboard teleop is off');
  await page.keyboard.up('ArrowUp');
  await page.check('#teleop-keys');
  await page.locator('body').click({ position: { x: 5, y: 5 } }); // focus off the checkbox
  const n0 = robot.commands.length;
  await page.keyboard.down('ArrowUp');
  await page.keyboard.down('KeyW');
  const t0 = performance.now();
  await until('ten teleop messages', () => robot.commands.slice(n0).filter((c) => c.name === 'teleop').length >= 10);
  const held_ms = performance.now() - t0;
  await page.keyboard.up('KeyW');
  await page.keyboard.up('ArrowUp');
  await until('teleop_release', () => robot.commands.slice(n0).some((c) => c.name === 'teleop_release'));
  const teleops = robot.commands.slice(n0).filter((c) => c.name === 'teleop');
  const rate_hz = (teleops.length - 1) / ((teleops.at(-1)!.at_ms - teleops[0]!.at_ms) / 1000);
  t.ok(rate_hz > 10 && rate_hz < 40, `about 20 Hz (${rate_hz.toFixed(1)} Hz over ${held_ms.toFixed(0)} ms)`);
  const p = teleops[0]!.payload as { deadman: boolean; velocity_radps: Record<string, number>; position_rad: Record<string, number> };
  t.equal(p.deadman, true);
  t.ok(p.velocity_radps.wheel_left! > 0 && p.velocity_radps.wheel_left === p.velocity_radps.wheel_right, 'ArrowUp drives both wheels forward');
  t.ok(Number.isFinite(p.position_rad.shoulder), 'the arm is held at (or moved from) its measured position');
  const last = teleops.at(-1)!.payload as typeof p;
  t.ok(last.position_rad.shoulder! >= p.position_rad.shoulder!, 'W raises the shoulder target');
  const n1 = robot.commands.length;
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(robot.commands.slice(n1).some((c) => c.name === 'teleop'), 'silence after letting go');
  t.same(errors, []);
  await page.close();
});

t.test('gamepad teleop: nothing until the deadman (LB) is held; the left stick drives; letting go releases', async (t) => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A standard-mapping pad the test moves by hand: the browser has no real one here.
  await page.addInitScript(() => {
    const pad = { id: 'test pad', index: 0, connected: true, mapping: 'standard', timestamp: 0, axes: [0, 0, 0, 0],
      buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })) };
    (window as unknown as { testPad: typeof pad }).testPad = pad;
    Object.defineProperty(navigator, 'getGamepads', { value: () => [pad] });
  });
  await page.goto(dash.url);
  await login(page, 'operator', PASSWORDS.operator);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  const n0 = robot.commands.length;
  await page.evaluate(() => { (window as unknown as { testPad: { axes: number[] } }).testPad.axes = [0, -1, 0, 0]; });
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(robot.commands.slice(n0).some((c) => c.name.startsWith('teleop')), 'stick without the deadman: nothing');
  await page.evaluate(() => { (window as unknown as { testPad: { buttons: { pressed: boolean }[] } }).testPad.buttons[4]!.pressed = true; });
  await until('teleop from the pad', () => robot.commands.slice(n0).filter((c) => c.name === 'teleop').length >= 5);
  const p = robot.commands.slice(n0).find((c) => c.name === 'teleop')!.payload as { deadman: boolean; velocity_radps: Record<string, number> };
  t.equal(p.deadman, true);
  t.ok(p.velocity_radps.wheel_left! > 0, 'stick forward drives forward');
  await page.evaluate(() => { (window as unknown as { testPad: { buttons: { pressed: boolean }[] } }).testPad.buttons[4]!.pressed = false; });
  await until('teleop_release', () => robot.commands.slice(n0).some((c) => c.name === 'teleop_release'));
  t.same(errors, []);
  await page.close();
});

t.test('Escape is the e-stop key', async (t) => {
  const { page } = await openDashboard(browser, dash.url, 'operator', PASSWORDS.operator);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  const n0 = robot.commands.length;
  await page.keyboard.press('Escape');
  await until('estop', () => robot.commands.slice(n0).some((c) => c.name === 'estop'));
  await page.click('#clear');
  await page.waitForSelector('#command-notice:has-text("clear: accepted")', WAIT);
  t.pass('e-stop sent and cleared');
  await page.close();
});

t.test('a viewer sees everything but cannot command: the broker refuses, the page says why, the robot gets nothing', async (t) => {
  const { page, errors } = await openDashboard(browser, dash.url, 'viewer', PASSWORDS.viewer);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  await page.waitForSelector('#link-rows tr[data-node="arm"]', WAIT);
  const n0 = robot.commands.length;
  const refused0 = broker.refused();
  // The CONNACK carries the role: the controls are greyed from the login on, before any attempt.
  t.equal(await page.getAttribute('#estop', 'aria-disabled'), 'true', 'the controls are marked disabled from the login on');
  t.equal(await page.getAttribute('#correction-send', 'aria-disabled'), 'true');
  await page.click('#estop', { force: true });
  await page.waitForSelector('#command-notice:has-text("viewer role cannot command")', WAIT);
  await page.fill('#correction', 'slower');
  // Playwright will not click an aria-disabled button unless forced; a person can (and is told why nothing happens).
  await page.click('#correction-send', { force: true });
  await page.waitForSelector('#correction-reply:has-text("viewer role cannot command")', WAIT);
  await page.check('#teleop-keys', { force: true });
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.down('ArrowUp');
  await page.waitForSelector('#command-notice:has-text("viewer role cannot command (teleop)")', WAIT);
  await new Promise((r) => setTimeout(r, 300));
  await page.keyboard.up('ArrowUp');
  t.equal(await page.getAttribute('#teleop-state', 'data-active'), 'false', 'teleop never went active');
  // The page sends nothing it knows is refused; a script with the viewer's login is refused by the broker itself.
  const direct = await mqtt.connectAsync(broker.tcpUrl, { protocolVersion: 5, username: 'viewer', password: PASSWORDS.viewer, reconnectPeriod: 0 });
  await direct.publishAsync('ganglion/r1/cmd/estop', '{}', { qos: 1 }).catch(() => {});
  await direct.endAsync();
  t.ok(broker.refused() >= refused0 + 1, 'the broker refused the viewer\'s publish');
  t.same(robot.commands.slice(n0), [], 'the robot received nothing');
  t.same(errors, []);
  await page.close();
});

t.test('a robot that goes away shows offline (its Last Will)', async (t) => {
  const { page } = await openDashboard(browser, dash.url, 'viewer', PASSWORDS.viewer);
  await page.waitForSelector('#robot-list li[data-robot="r1"][data-online="true"]', WAIT);
  await robot.stop();
  await page.waitForSelector('#robot-list li[data-robot="r1"][data-online="false"]', WAIT);
  t.pass('offline shown');
  await page.close();
});

t.test('the broker restarts: the page says so, reconnects by itself and follows the robot again', async (t) => {
  const r2 = new FakeRobot('r1');
  await r2.start(broker.tcpUrl, 'robot', PASSWORDS.robot);
  const { page, errors } = await openDashboard(browser, dash.url, 'viewer', PASSWORDS.viewer);
  await page.waitForSelector('tr[data-joint="shoulder"]', WAIT);
  const ports = broker.ports;
  await r2.stop();
  await broker.close();
  await page.waitForSelector('#conn[data-state="offline"], #conn[data-state="reconnecting"]', WAIT);
  broker = await startTestBroker(['r1'], ports);
  await page.waitForSelector('#conn[data-state="online"]', WAIT);
  const r3 = new FakeRobot('r1');
  await r3.start(broker.tcpUrl, 'robot', PASSWORDS.robot);
  try {
    await page.waitForSelector('#robot-list li[data-robot="r1"][data-online="true"]', WAIT);
    const before = Number(await page.getAttribute('[data-plot="position"]', 'data-points'));
    await until('telemetry again after the restart', async () => Number(await page.getAttribute('[data-plot="position"]', 'data-points')) > before + 10);
    t.match(await text(page, '#event-log'), /connection (offline|reconnecting)/);
    // The browser logs this when mqtt.js's keepalive meets the socket the broker just closed: expected here, nowhere else.
    t.same(errors.filter((e) => !/WebSocket is already in CLOSING or CLOSED state/.test(e)), []);
  } finally {
    await r3.stop();
    await page.close();
  }
});
