// Test helper process: records episodes of 100 samples every 2 ms, printing "episode N" as each starts; with a hold
// argument, stops adding samples after episode 3's 50th and prints "holding" (the process lives on until killed).
import { openRecorder, sample } from './samples.ts';

const file = process.argv[2]!;
const hold = process.argv[3] === 'hold';
const rec = openRecorder(file, { flush_ms: 200 });
let e = 0;
let k = 0;
rec.startEpisode();
console.log(`episode ${e}`);
const timer = setInterval(() => {
  rec.add(sample(e, k++));
  if (hold && e === 3 && k === 50) {
    clearInterval(timer);
    setInterval(() => {}, 1000);
    console.log('holding');
    return;
  }
  if (k === 100) {
    rec.endEpisode();
    e++;
    k = 0;
    rec.startEpisode();
    console.log(`episode ${e}`);
  }
}, 2);
