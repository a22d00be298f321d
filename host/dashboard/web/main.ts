// The dashboard page's entry: login, then wires validated MQTT messages into the store, panels and plots, and the controls back to the broker.
// First: it configures zod before any schema (topics.ts) is built.
import './zod-config.ts';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { topics, type RecordingPayload, type Role } from '../../bridge/topics.ts';
import { RemoteConnection } from './connection-client.ts';
import { Controls, mayCommand, refusalText } from './controls.ts';
import { byId } from './dom.ts';
import { EventLog } from './event-log.ts';
import { JointsPanel } from './joints-panel.ts';
import { LatencyMeter } from './latency.ts';
import { LinkPanel } from './link-panel.ts';
import { LoginForm } from './login.ts';
import type { Incoming } from './messages.ts';
import { Plots } from './plots.ts';
import { RobotsPanel } from './robots-panel.ts';
import { SkillsPanel } from './skills-panel.ts';
import { Store } from './store.ts';
import { Teleop } from './teleop.ts';

/** [Hz] how often tables and readouts are rebuilt (plots have their own rate). */
const PANEL_HZ = 5;

interface PageConfig { broker_ws_url: string; version: string }

const config = (await (await fetch('/config.json')).json()) as PageConfig;
const store = new Store();
const log = new EventLog();
const latency = new LatencyMeter();
const plots = new Plots(byId('plots'));
const joints = new JointsPanel();
const linkPanel = new LinkPanel();
const skills = new SkillsPanel();
let conn: RemoteConnection | null = null;
let role: Role | null = null;
const dirty = new Set<'robots' | 'joints' | 'link' | 'skills'>();

const robots = new RobotsPanel((id) => select(id));

function select(id: string | null): void {
  if (id === store.selected) return;
  conn?.follow(id, store.selected);
  store.selected = id;
  plots.clear();
  joints.clear();
  for (const d of ['robots', 'joints', 'link', 'skills'] as const) dirty.add(d);
  byId('robot-name').textContent = id ?? 'no robot selected';
  const r = id ? store.robots.get(id)?.recording : null;
  byId('recording-state').textContent = r ? recordingText(r) : 'no recorder';
}

function onMessage(msg: Incoming, arrivedWallMs: number): void {
  store.apply(msg);
  if (msg.kind === 'reply') return;
  if (msg.kind === 'status') {
    dirty.add('robots');
    // The first robot that comes online is selected, so a one-robot setup needs no clicks.
    if (store.selected === null && msg.payload.online) select(msg.robot);
    return;
  }
  if (msg.robot !== store.selected) return;
  switch (msg.kind) {
    case 'telemetry':
      latency.add(msg.node, msg.payload.received_at_ms, arrivedWallMs, performance.timeOrigin + performance.now());
      plots.telemetry(msg.payload);
      dirty.add('joints');
      break;
    case 'cadence': plots.loopCadence(msg.payload); dirty.add('link'); break;
    case 'link': dirty.add('link'); break;
    case 'state': case 'skill_status': case 'skills': dirty.add('skills'); break;
    case 'recording': byId('recording-state').textContent = recordingText(msg.payload); byId('recording-state').dataset.phase = msg.payload.phase; break;
    case 'event': log.add(msg.payload.level, msg.payload.kind, msg.payload.text, msg.payload.at_ms); break;
  }
}

/** Episode and time left, as the terminal's progress line says it. */
function recordingText(r: RecordingPayload): string {
  const left = r.time_left_s === null ? '' : `, ${r.time_left_s.toFixed(0)} s left`;
  const head = r.phase === 'episode' ? `recording episode ${r.episode! + 1}/${r.episodes}${left}` : r.phase === 'reset' ? `reset${left}` : r.phase;
  return `${head} · ${r.kept} kept · "${r.task}"`;
}

setInterval(() => {
  const v = store.current();
  if (dirty.delete('robots')) robots.render(store.robots.values(), store.selected);
  if (!v) return;
  if (dirty.delete('joints')) joints.render(v.telemetry);
  if (dirty.delete('link')) linkPanel.render(v.link, v.cadence);
  if (dirty.delete('skills')) skills.render(v.state, v.skillStatus, v.skills);
  const p50 = latency.percentile(50);
  const p99 = latency.percentile(99);
  byId('latency').textContent = p50 === null ? '' : `telemetry age in browser p50 ${p50.toFixed(1)} ms, p99 ${p99!.toFixed(1)} ms`;
}, 1000 / PANEL_HZ);

const controls = new Controls({
  robot: () => store.selected,
  role: () => role,
  command: (robot, name, payload) => conn ? conn.command(robot, name, payload as object) : Promise.resolve({ ok: false, command: name, error: 'not connected' }),
  log: (level, kind, text) => log.add(level, kind, text),
});

const teleop = new Teleop({
  canCommand: () => mayCommand(role, 'teleop'),
  measured: () => {
    const out: Record<string, number> = {};
    for (const t of store.current()?.telemetry.values() ?? []) for (const [j, s] of Object.entries(t.joints)) out[j] = s.position_rad;
    return out;
  },
  joints: () => new Set([...(store.current()?.telemetry.values() ?? [])].flatMap((t) => Object.keys(t.joints))),
  teleop: (cmd) => { if (conn && store.selected) conn.send(store.selected, 'teleop', cmd, teleopRefused); },
  release: () => { if (conn && store.selected) conn.send(store.selected, 'teleop_release', {}); },
  refused: (what) => {
    const text = refusalText(role, what);
    byId('command-notice').textContent = text;
    log.add('warn', 'refused', text);
  },
});

/** The broker refused a teleop message: stop sending (a refused hold would only repeat the refusal 20 times a second). */
function teleopRefused(r: { text: string }): void {
  teleop.letGo();
  byId('command-notice').textContent = r.text;
  log.add('warn', 'refused', r.text);
}

function setRole(r: Role | null, username: string): void {
  role = r;
  controls.applyRole(r);
  byId('who').textContent = `${username} (${r ?? 'role not told by the broker'})`;
}

const login = new LoginForm(config.broker_ws_url, async (c) => {
  conn = await RemoteConnection.login(c.url, c.username, c.password, {
    message: onMessage,
    bad: (topic, error) => log.add('warn', 'bad payload', `${topic}: ${error}`),
    link: (state, detail) => {
      byId('conn').textContent = `broker ${state}`;
      byId('conn').dataset.state = state;
      // mqtt.js re-subscribes after a reconnect, and the broker then re-sends the retained topics.
      log.add(state === 'online' ? 'info' : 'warn', 'broker', `connection ${state}${detail ? `: ${detail}` : ''}`);
    },
    role: (r) => setRole(r, c.username),
  });
  setRole(conn.role, c.username);
  byId('conn').textContent = 'broker online';
  byId('conn').dataset.state = 'online';
  login.show(false);
  byId('app-view').hidden = false;
  log.add('info', 'login', `logged in as ${c.username} at ${c.url}`);
});

byId('logout').addEventListener('click', () => {
  teleop.letGo();
  conn?.close();
  conn = null;
  setRole(null, '');
  byId('who').textContent = '';
  select(null);
  store.robots.clear();
  dirty.add('robots');
  byId('app-view').hidden = true;
  byId('conn').textContent = 'not connected';
  login.show(true);
});

// For tests and the latency benchmark: the live objects, read-only by convention.
Object.assign(window, { ganglionDashboard: { store, plots, latency, controls, teleop, topics, config } });
login.show(true);
