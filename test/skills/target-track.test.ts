// The target tracker: the perceived object nearest the estimate, averaged over frames (each frame once), bins and far objects ignored, a moved object followed.
import t from 'tap';
import { startTrack, TRACK_FRAMES, TRACK_GATE_M, updateTrack } from '../../host/skills/target-track.ts';
import type { PerceivedObject } from '../../host/skills/observation.ts';
import { seededRandom } from '../../host/world/world.ts';

const block = (x_m: number, y_m: number, id = 'b'): PerceivedObject => ({ id, label: 'block', kind: 'block', x_m, y_m });

t.test('a static object seen with per-frame scatter: the estimate narrows on it', async (t) => {
  const rand = seededRandom(7);
  const gauss = () => 0.003 * Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  // 200 trials: the first look (the args) against the estimate after 40 frames, both measured from the true point.
  let first = 0;
  let after = 0;
  for (let k = 0; k < 200; k++) {
    const look = { x_m: 0.3 + gauss(), y_m: 0.1 + gauss() };
    const tr = startTrack(look);
    for (let f = 0; f < 40; f++) updateTrack(tr, [block(0.3 + gauss(), 0.1 + gauss())]);
    first += Math.hypot(look.x_m - 0.3, look.y_m - 0.1) ** 2;
    after += Math.hypot(tr.estimate.x_m - 0.3, tr.estimate.y_m - 0.1) ** 2;
  }
  const rms = (s: number) => 1000 * Math.sqrt(s / 200);
  // A running mean of up to 20 frames cuts the scatter by about sqrt(20) = 4.5x; 3x leaves room for the draw.
  t.ok(rms(after) < rms(first) / 3, `rms error ${rms(first).toFixed(2)} mm at the first look, ${rms(after).toFixed(2)} mm after 40 frames`);
});

t.test('each frame counts once, bins and objects outside the gate are not the target', async (t) => {
  const tr = startTrack({ x_m: 0, y_m: 0 });
  const seen = block(0.01, 0);
  updateTrack(tr, [seen]);
  t.same(tr.estimate, { x_m: 0.005, y_m: 0 }, 'the look and one frame, averaged');
  updateTrack(tr, [seen]);
  updateTrack(tr, [seen]);
  t.equal(tr.frames, 2, 'the same perception read on later ticks is not a new frame');
  const bin: PerceivedObject = { id: 'bin', label: 'bin', kind: 'bin', x_m: 0.005, y_m: 0 };
  const far = block(0.005 + TRACK_GATE_M + 0.001, 0, 'far');
  updateTrack(tr, [bin, far]);
  t.same(tr.estimate, { x_m: 0.005, y_m: 0 }, 'a bin on the spot and a block beyond the gate leave it alone');
  const empty = startTrack({ x_m: 1, y_m: 2 });
  t.same(updateTrack(empty, []), { x_m: 1, y_m: 2 }, 'a bare point: the estimate is the point given');
});

t.test('an object that is moved is followed', async (t) => {
  const tr = startTrack({ x_m: 0, y_m: 0 });
  for (let f = 0; f < 50; f++) updateTrack(tr, [block(0, 0)]);
  t.equal(tr.frames, TRACK_FRAMES, 'the mean stops growing');
  // Pushed 20 mm (inside the gate): a moving average over 20 frames has a time constant of 20 frames (1 s at 20 Hz).
  for (let f = 0; f < 20; f++) updateTrack(tr, [block(0.02, 0)]);
  t.ok(tr.estimate.x_m > 0.6 * 0.02, `after 1 s: ${(1000 * tr.estimate.x_m).toFixed(2)} mm of 20, at least 1 - 1/e of the way`);
  for (let f = 0; f < 80; f++) updateTrack(tr, [block(0.02, 0)]);
  t.ok(Math.abs(tr.estimate.x_m - 0.02) < 0.0005, `after 5 s: ${(1000 * tr.estimate.x_m).toFixed(2)} mm, the object at 20 mm`);
});
