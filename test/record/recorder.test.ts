// The recorder and reader: samples come back exactly, episodes (kept, re-recorded) are marked, Foxglove's schemas are used, bad samples are refused, and a SIGKILLed recorder loses at most the last second.
import { spawn } from 'node:child_process';
import { readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { McapIndexedReader } from '@mcap/core';
import t from 'tap';
import { readRecording, RecordingError } from '../../host/record/reader.ts';
import { JOINTS, openRecorder, sample, tempFile } from './samples.ts';

const CHILD = new URL('./crash-child.ts', import.meta.url).pathname;

t.test('samples and episodes read back exactly; a discarded take is replaced', async (t) => {
  const file = tempFile('s.mcap');
  const rec = openRecorder(file);
  for (let e = 0; e < 2; e++) {
    t.equal(rec.startEpisode(), e);
    for (let k = 0; k < 20; k++) t.ok(rec.add(sample(e, k)));
    rec.endEpisode();
  }
  t.equal(rec.startEpisode(), 2);
  rec.add(sample(99, 0));
  rec.discardEpisode();
  t.equal(rec.startEpisode('a second task'), 2, 're-record reuses the index');
  for (let k = 0; k < 7; k++) rec.add(sample(2, k));
  rec.correction({ timestamp: new Date().toISOString(), phrase: 'a bit left', correction: { type: 'nudge', frame: 'base', dx_m: 0, dy_m: 0.02 }, source: 'op', task: null, skill: 'reach', state: {} });
  rec.event('warn', 'link slow');
  rec.close();

  const r = readRecording(file);
  t.ok(r.complete);
  t.same(r.warnings, []);
  t.same(r.session.joints, JOINTS);
  t.equal(r.session.task, 'reach the red block');
  t.equal(r.session.fps, 100);
  t.same(r.episodes.map((e) => [e.index, e.status, e.frames.length, e.task]), [[0, 'kept', 20, 'reach the red block'], [1, 'kept', 20, 'reach the red block'], [2, 'kept', 7, 'a second task']]);
  const f = r.episodes[1]!.frames[6]!;
  const s = sample(1, 6);
  t.same(f.position_rad, s.position_rad);
  t.same(f.action, s.action);
  t.same(f.velocity_radps, s.velocity_radps);
  t.ok(Math.abs(f.base.heading_rad - 0.25) < 1e-12, 'heading through the quaternion');
  t.equal(f.control, 'teleop');
  t.equal(f.intervention, true, 'teleop after a skill drove in the episode is an intervention');
  t.equal(r.episodes[1]!.frames[2]!.skill, 'reach');
  t.same(r.episodes[1]!.frames[2]!.skill_args, { target_id: 'b1' });
  t.same(r.episodes[1]!.frames[7]!.teleop, { operator: 'keyboard', position_rad: { shoulder: Math.sin(1.007) }, velocity_radps: {} });
  t.ok(r.episodes[0]!.frames.every((fr, i, a) => i === 0 || fr.t_ns >= a[i - 1]!.t_ns), 'per-sample timestamps in order');
});

t.test('the file is an indexed MCAP with jsonschema channels (as Foxglove opens it)', async (t) => {
  const file = tempFile('i.mcap');
  const rec = openRecorder(file);
  rec.startEpisode();
  for (let k = 0; k < 10; k++) rec.add(sample(0, k));
  rec.event('info', 'hello');
  rec.close();
  const bytes = readFileSync(file);
  const reader = await McapIndexedReader.Initialize({ readable: { size: async () => BigInt(bytes.length), read: async (o, n) => bytes.subarray(Number(o), Number(o + n)) } });
  const schemas = [...reader.schemasById.values()];
  t.ok(schemas.every((s) => s.encoding === 'jsonschema'));
  t.ok(schemas.some((s) => s.name === 'foxglove.Log'));
  t.ok(schemas.some((s) => s.name === 'foxglove.PoseInFrame'));
  t.ok([...reader.channelsById.values()].every((c) => c.messageEncoding === 'json'));
  let n = 0;
  const topics = new Set<string>();
  for await (const m of reader.readMessages()) {
    n++;
    topics.add(reader.channelsById.get(m.channelId)!.topic);
  }
  t.ok(topics.has('/observation/joint_states') && topics.has('/action') && topics.has('/events') && topics.has('/episode'));
  t.equal(BigInt(n), reader.statistics!.messageCount, 'every message is reachable through the chunk indexes');
  const meta = [];
  for await (const m of reader.readMetadata({ name: 'episode' })) meta.push(Object.fromEntries(m.metadata));
  t.equal(meta.length, 1);
  t.equal(meta[0]!.samples, '10');
});

t.test('a NaN in a sample is refused naming the field; the recording keeps everything else', async (t) => {
  const file = tempFile('n.mcap');
  const rec = openRecorder(file);
  const refused: string[] = [];
  rec.on('refused', (e) => refused.push(e.message));
  rec.startEpisode();
  rec.add(sample(0, 0));
  t.notOk(rec.add(sample(0, 1, { action: [0, NaN, 0] })));
  t.notOk(rec.add(sample(0, 2, { position_rad: [0, 0] })));
  rec.add(sample(0, 3));
  rec.close();
  t.match(refused[0], /action\[1\] \(elbow\) is NaN/);
  t.match(refused[1], /observation.position_rad has 2 values for 3 joints/);
  t.equal(rec.state().refused, 2);
  const r = readRecording(file);
  t.same(r.episodes[0]!.frames.map((f) => f.base.y_m), [0, 0.03]);
});

t.test('corrupt, truncated and foreign files: clear errors or recovery, never a crash', async (t) => {
  const file = tempFile('c.mcap');
  const rec = openRecorder(file);
  for (let e = 0; e < 3; e++) {
    rec.startEpisode();
    for (let k = 0; k < 50; k++) rec.add(sample(e, k));
    rec.endEpisode();
  }
  rec.close();
  const whole = readFileSync(file);
  // Cut inside the summary: no footer, every episode still there.
  truncateSync(file, whole.length - 200);
  const cut = readRecording(file);
  t.notOk(cut.complete);
  t.equal(cut.episodes.length, 3);
  t.match(cut.warnings.join(), /no footer/);
  // A flipped byte in the middle: the chunk CRC catches it; what came before is read, and the damage named.
  const bad = Buffer.from(whole);
  const mid = Math.floor(bad.length * 0.6);
  bad[mid] = bad[mid]! ^ 0xff;
  writeFileSync(file, bad);
  const dmg = readRecording(file);
  t.match(dmg.warnings.join(), /damaged after/);
  t.ok(dmg.episodes.filter((e) => e.status === 'kept').length >= 1, 'the episodes before the damage survive');
  writeFileSync(file, 'hello, not a recording');
  t.throws(() => readRecording(file), new RecordingError(`${file}: not an MCAP file (it does not start with the MCAP magic bytes); give a recording made by \`ganglion record\``));
  t.throws(() => readRecording(file + '.missing'), /cannot read it/);
});

t.test('SIGKILL mid-episode: every earlier episode reads back whole, and at most the last second is lost', async (t) => {
  const file = tempFile('k.mcap');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('holding')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
  // The last sample was queued now; one second later it must be on disk.
  await new Promise((r) => setTimeout(r, 1000));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.ok(statSync(file).size > 0);
  const r = readRecording(file);
  t.notOk(r.complete);
  t.same(r.episodes.map((e) => [e.index, e.status, e.frames.length]), [[0, 'kept', 100], [1, 'kept', 100], [2, 'kept', 100], [3, 'incomplete', 50]]);
  for (const ep of r.episodes) t.same(ep.frames.map((f) => f.action), Array.from({ length: ep.frames.length }, (_, k) => sample(ep.index, k).action), `episode ${ep.index} exact`);
});

t.test('SIGKILL while writing at full speed: earlier episodes intact', async (t) => {
  const file = tempFile('k2.mcap');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('episode 3')) resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const r = readRecording(file);
  const kept = r.episodes.filter((e) => e.status === 'kept');
  t.ok(kept.length >= 3);
  for (const ep of kept) t.equal(ep.frames.length, 100, `episode ${ep.index} whole`);
});

t.test('encoding and writing happen on the writer thread: the caller only checks and hands over; an existing file is refused at once', async (t) => {
  const file = tempFile('w.mcap');
  const rec = openRecorder(file);
  rec.startEpisode();
  for (let k = 0; k < 2000; k++) rec.add(sample(0, k));
  rec.endEpisode();
  const st = rec.state();
  rec.close();
  t.equal(st.samples, 2000, 'every sample written by the time endEpisode() returned');
  t.ok(st.writer_ms > 0, `the writer thread did the encoding (${st.writer_ms.toFixed(1)} ms)`);
  t.equal(readRecording(file).episodes[0]!.frames.length, 2000);
  t.throws(() => openRecorder(file), /EEXIST/, 'a recording that exists is never overwritten, and the caller hears it');
  t.equal(readRecording(file).episodes[0]!.frames.length, 2000, 'and it is intact');
});
