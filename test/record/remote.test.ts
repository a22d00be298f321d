// The dashboard's recording control end to end over MQTT: the bridge publishes the recorder's state (episode, time left) and an operator starts, stops and discards episodes through cmd/recording (real broker, real runtime on the posix firmware).
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { mayPublish } from '../../host/bridge/acl.ts';
import { startBridge } from '../../host/bridge/bridge.ts';
import { startEmbeddedBroker } from '../../host/bridge/broker.ts';
import { RecordingPayload, ReplyPayload, stampCommand } from '../../host/bridge/topics.ts';
import { EpisodeSchedule } from '../../host/record/episodes.ts';
import { readRecording } from '../../host/record/reader.ts';
import { ScheduleControl } from '../../host/record/recording-control.ts';
import { recordRuntime } from '../../host/record/runtime-source.ts';
import { Recorder } from '../../host/record/recorder.ts';
import { startSimRobot } from '../../host/runtime/sim-robot.ts';
import { Peer, PASSWORDS, testUsers } from '../bridge/helpers.ts';
import { tempFile } from './samples.ts';

t.test('operator start / stop / discard over MQTT; the state is published; bad payloads are refused naming the field', async (t) => {
  const sim = await startSimRobot({ watchdog_ms: 500, firmware: 'posix', robot_id: 'ref', rate_hz: 50 });
  const rt = sim.runtime;
  const file = tempFile('remote.mcap');
  const joints = rt.joints.map((j) => j.name);
  const rec = new Recorder({ file, joints, joint_kinds: rt.joints.map((j) => j.kind), task: 'wave', fps: 50, robot: 'ref' });
  const untap = recordRuntime(rt, rec, joints);
  const schedule = new EpisodeSchedule({ episodes: 2, episode_s: 60, reset_s: 60 }, {
    start: () => rec.startEpisode(), keep: () => rec.endEpisode(), discard: () => rec.discardEpisode(),
  });
  let done = false;
  const control = new ScheduleControl(schedule, { episodes: 2, task: 'wave', file, onDone: () => (done = true), log: () => {} });
  const CRED = { username: 'ref-runtime', password: 'in-memory-secret', robots: ['ref'] };
  const broker = await startEmbeddedBroker({ users: await testUsers(['ref']), robot_credentials: [CRED] });
  const bridge = await startBridge({ robot: rt, url: broker.tcpUrl, username: CRED.username, password: CRED.password, telemetry_hz: 5, recording: control });
  const op = await Peer.connect(broker.tcpUrl, 'op', PASSWORDS.op);
  const view = await Peer.connect(broker.tcpUrl, 'view', PASSWORDS.view);
  t.teardown(async () => {
    await op.end();
    await view.end();
    await bridge.stop();
    await broker.close();
    untap();
    rec.close();
    await sim.stop();
  });
  await op.sub('ganglion/_reply/op/#');
  await view.sub('ganglion/ref/recording');
  schedule.begin(performance.now());
  control.changed();
  const state = async (phase: string) => RecordingPayload.parse((await view.next((m) => m.topic === 'ganglion/ref/recording' && m.json?.phase === phase && !view.inbox.slice(view.inbox.indexOf(m) + 1).some((x) => x.topic === m.topic), 5000, `recording ${phase}`)).json);
  const request = async (payload: unknown) => {
    const id = randomUUID();
    await op.client.publishAsync('ganglion/ref/cmd/recording', JSON.stringify(stampCommand(payload as object)), { qos: 1, properties: { responseTopic: `ganglion/_reply/op/${id}`, correlationData: Buffer.from(id) } });
    return ReplyPayload.parse((await op.next((m) => m.topic === `ganglion/_reply/op/${id}`, 5000, 'the reply')).json);
  };

  const s0 = await state('episode');
  t.match(s0, { robot: 'ref', episode: 0, episodes: 2, kept: 0, task: 'wave' });
  t.ok(s0.time_left_s! > 50 && s0.time_left_s! <= 60, `time left ${s0.time_left_s}`);
  t.notOk(mayPublish({ username: 'view', role: 'viewer', robots: null }, 'ganglion/ref/cmd/recording'), 'viewers may not drive the recorder');
  t.notOk(mayPublish({ username: 'plan', role: 'planner', robots: null }, 'ganglion/ref/cmd/recording'), 'nor planners');

  const refused = await request({ action: 'explode' });
  t.notOk(refused.ok);
  t.match(refused.error, /^recording: action/);
  t.match((await request({ action: 'start' })).error, /episode 1 is being recorded: stop or discard it first/);

  await new Promise((r) => setTimeout(r, 400));
  t.ok((await request({ action: 'discard' })).ok);
  t.match(await state('reset'), { episode: null, kept: 0 });
  t.match((await request({ action: 'stop' })).error, /no episode is being recorded/);
  t.ok((await request({ action: 'start' })).ok);
  t.match(await state('episode'), { episode: 0 });
  await new Promise((r) => setTimeout(r, 400));
  t.ok((await request({ action: 'stop' })).ok);
  t.match(await state('reset'), { kept: 1 });
  t.ok((await request({ action: 'start' })).ok);
  await new Promise((r) => setTimeout(r, 300));
  t.ok((await request({ action: 'stop' })).ok);
  t.ok(done, 'the second kept episode ends the session');
  t.match(await state('done'), { kept: 2 });

  rec.close();
  const r = readRecording(file);
  t.same(r.episodes.map((e) => [e.index, e.status]), [[0, 'kept'], [1, 'kept']]);
  t.ok(r.episodes.every((e) => e.frames.length > 5), 'episodes hold the ticks recorded while they ran');
});
