// The dashboard end to end in headless Chromium, on the real stack: embedded broker, MQTT bridge, the simulated robot with its
// firmware in avr8js. Log in, see telemetry move, run a skill and correct it, e-stop and watch the emulated MCU's PWM go to zero;
// a viewer cannot command. Saves screenshots to test/dashboard/artifacts/.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openDashboard } from './helpers/browser.ts';
import { PASSWORDS } from './helpers/broker.ts';
import { startStack, type Stack } from './helpers/stack.ts';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const WAIT = { timeout: 20_000 };
/** The base node's motors: wheel_left and wheel_right, driven by move_base. */
const WHEELS = [0, 1] as const;

let stack: Stack;
let browser: Browser;
t.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // Chromium first: its start-up is the heaviest CPU burst of the test, and emulated MCUs starved of CPU after arming
  // trip their link watchdogs (as real ones would with a stalled host).
  browser = await launchChromium();
  stack = await startStack({ firmware: 'avr' });
});
t.teardown(async () => {
  await browser?.close();
  await stack?.stop();
});

const until = async (what: string, cond: () => boolean | Promise<boolean>, timeout_ms = 15_000) => {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > timeout_ms) throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const text = (page: Page, sel: string) => page.locator(sel).first().innerText();
const wheelDuty = async () => Promise.all(WHEELS.map((m) => stack.sim.pwmDuty('base', m)));
const readout = async (page: Page, joint: string, field: string) => Number(await text(page, `tr[data-joint="${joint}"] [data-field="${field}"]`));

/** The base MCU's link watchdog tripped (a CPU-starvation burst on this loaded 2-core machine): its PWM is zero for that reason. */
const baseTripped = () => {
  const h = stack.sim.runtime.linkHealth().base;
  return !h || h.watchdogTripped || !h.armed;
};
/** An attempt the machine's load spoiled (a link watchdog trip): it proves nothing either way, so it is run again. */
class Spoiled extends Error {}
const watch = (what: string, cond: () => boolean | Promise<boolean>, timeout_ms?: number) =>
  until(what, async () => {
    if (baseTripped()) throw new Spoiled(`the base MCU's link watchdog tripped while waiting for ${what}`);
    return cond();
  }, timeout_ms);
/** Clicks a command button and waits for its reply in the notice line. */
const command = async (page: Page, id: string, name: string) => {
  await page.click(`#${id}`);
  await page.waitForSelector(`#command-notice:has-text("${name}: accepted")`, WAIT);
};

interface DriveResult { cruise_radps: number; slowed_radps: number; zero_after_ms: number }

/** Arm, run move_base from the page, correct it with "slower", e-stop: the measured part of the operator test. */
async function driveCorrectAndStop(page: Page): Promise<DriveResult> {
  // Clear and arm from the page: no-ops on a healthy robot, and the operator's way back after a watchdog trip.
  await command(page, 'clear', 'clear');
  await command(page, 'arm', 'arm');
  await until('the base MCU armed', () => !baseTripped());

  // A skill started from the page drives the wheels: the emulated MCU's PWM is non-zero and the readouts move.
  await page.fill('#action-skill', 'move_base');
  await page.fill('#action-args', '{"distance_m": 1.5}');
  await page.click('#action-send');
  await page.waitForSelector('#active-skill[data-skill="move_base"][data-state="running"]', WAIT);
  await watch('wheel PWM non-zero', async () => (await wheelDuty()).every((d) => d > 0));
  const x0 = await readout(page, 'wheel_left', 'position');
  await watch('the wheel readout to move', async () => Math.abs((await readout(page, 'wheel_left', 'position')) - x0) > 0.5);
  // move_base's wheel setpoint is saturated at the base speed for most of the run: a steady value to compare against.
  await watch('the wheel setpoint at cruise', async () => (await readout(page, 'wheel_left', 'setpoint')) > 5);
  const cruise_radps = await readout(page, 'wheel_left', 'setpoint');

  // (4) a correction while the skill runs: accepted, logged as a correction event, and the skill slows to half speed.
  await page.fill('#correction', 'slower');
  await page.press('#correction', 'Enter');
  await page.waitForSelector('#correction-reply[data-ok="true"]', WAIT);
  await page.waitForSelector('#event-log li[data-kind="correction"]', WAIT);
  await watch('the wheel setpoint to drop', async () => (await readout(page, 'wheel_left', 'setpoint')) < 0.7 * cruise_radps);
  const slowed_radps = await readout(page, 'wheel_left', 'setpoint');
  await watch('still driving before the e-stop', async () => (await wheelDuty()).every((d) => d > 0), 3000);

  // (3) e-stop from the page: the PWM the emulated MCU puts on both wheels goes to zero.
  const pressed = performance.now();
  await page.click('#estop');
  await until('wheel PWM zero', async () => (await wheelDuty()).every((d) => d === 0), 5000);
  const zero_after_ms = performance.now() - pressed;
  // A trip at this moment would also zero the PWM: only an e-stop with the MCU's watchdog quiet counts. (The e-stop
  // frame itself disarms the MCU at receipt, so "not armed" is expected here; a watchdog trip is not.)
  if (stack.sim.runtime.linkHealth().base?.watchdogTripped) throw new Spoiled('the base MCU\'s link watchdog tripped around the e-stop');
  return { cruise_radps, slowed_radps, zero_after_ms };
}

t.test('operator: log in, telemetry moves, a skill is corrected and reacts, e-stop takes the emulated PWM to zero', async (t) => {
  const { page, errors } = await openDashboard(browser, stack.dash.url, 'operator', PASSWORDS.operator);

  // (1) logged in, the robot is online and selected
  await page.waitForSelector('#app-view:not([hidden])', WAIT);
  await page.waitForSelector(`#robot-list li[data-robot="${stack.robotId}"][data-online="true"]`, WAIT);
  t.equal(await text(page, '#robot-name'), stack.robotId);

  // (2) telemetry moves: MCU counters advance and the plots are fed
  await page.waitForSelector('#node-rows tr[data-node="base"]', WAIT);
  const c0 = Number(await text(page, '#node-rows tr[data-node="base"] [data-field="counter"]'));
  await until('the base MCU counter to advance', async () => Number(await text(page, '#node-rows tr[data-node="base"] [data-field="counter"]')) > c0);
  const p0 = Number(await page.getAttribute('[data-plot="position"]', 'data-points'));
  await until('plot points', async () => Number(await page.getAttribute('[data-plot="position"]', 'data-points')) > p0 + 25);
  await page.waitForSelector('#link-rows tr[data-node="arm"]', WAIT);
  await page.waitForSelector('tr[data-skill="move_base"]', WAIT);

  let r: DriveResult | null = null;
  for (let attempt = 1; attempt <= 4 && !r; attempt++) {
    try {
      r = await driveCorrectAndStop(page);
    } catch (e) {
      if (!(e instanceof Spoiled) || attempt === 4) throw e;
      t.comment(`attempt ${attempt} spoiled by load (${e.message}); again`);
      await page.click('#cancel');
    }
  }
  t.match(await text(page, '#correction-reply'), /correction: accepted — \{"type":"speed","factor":0\.5\}/);
  t.match(await text(page, '#event-log li[data-kind="correction"]'), /"slower" during move_base/);
  t.ok(r!.slowed_radps < 0.7 * r!.cruise_radps, `the skill reacted: wheel setpoint ${r!.cruise_radps.toFixed(2)} -> ${r!.slowed_radps.toFixed(2)} rad/s after "slower"`);
  t.ok(r!.zero_after_ms < 5000, `PWM zero ${r!.zero_after_ms.toFixed(0)} ms after the click (this test's polling included; the benchmark measures it properly)`);
  t.ok(stack.sim.runtime.snapshot().estop.latched, 'the runtime latched the e-stop');
  await page.waitForSelector('#robot-mode[data-mode="estop"]', WAIT);
  await page.waitForSelector('#command-notice:has-text("estop: accepted")', WAIT);
  await page.waitForSelector('#action-reply[data-ok="false"]', WAIT);
  t.match(await text(page, '#action-reply'), /move_base (cancelled|failed)/, 'the action reply tells how the skill ended');
  // Only now: a full-page screenshot is a CPU burst that must not overlap the measured part.
  await page.screenshot({ path: `${ARTIFACTS}dashboard-operator.png`, fullPage: true });

  await command(page, 'clear', 'clear');
  await until('e-stop cleared', () => !stack.sim.runtime.snapshot().estop.latched);
  t.same(errors, [], 'no page errors or CSP violations');
  await page.close();
});

t.test('a viewer sees the robot live but cannot command it: nothing reaches the robot', async (t) => {
  const { page, errors } = await openDashboard(browser, stack.dash.url, 'viewer', PASSWORDS.viewer);
  await page.waitForSelector('#node-rows tr[data-node="base"]', WAIT);
  const refused0 = stack.broker.refused();
  const commands0 = stack.bridge.stats().commands;
  // The broker's CONNACK told the page its role: the controls are greyed before any attempt, and a click says why.
  await page.waitForSelector('#estop[aria-disabled="true"]', WAIT);
  t.pass('controls marked disabled from the login on');
  await page.click('#estop', { force: true });
  await page.waitForSelector('#command-notice:has-text("viewer role cannot command")', WAIT);
  await page.fill('#correction', 'slower');
  await page.click('#correction-send', { force: true });
  await page.waitForSelector('#correction-reply:has-text("viewer role cannot command")', WAIT);
  // And a viewer who skips the page (a script with the same login) is refused by the broker itself.
  const direct = await mqtt.connectAsync(stack.broker.tcpUrl, { protocolVersion: 5, username: 'viewer', password: PASSWORDS.viewer, reconnectPeriod: 0 });
  const ack = await direct.publishAsync(`ganglion/${stack.robotId}/cmd/estop`, '{}', { qos: 1 }).catch((e: unknown) => e);
  await direct.endAsync();
  t.ok(stack.broker.refused() > refused0, `the broker refused the publish (${String((ack as { reasonCode?: number })?.reasonCode ?? ack)})`);
  t.equal(stack.bridge.stats().commands, commands0, 'the bridge received no command');
  t.notOk(stack.sim.runtime.snapshot().estop.latched, 'the robot is not e-stopped');
  await page.screenshot({ path: `${ARTIFACTS}dashboard-viewer.png`, fullPage: true });
  t.same(errors, []);
  await page.close();
});
