// `npm run bench`: runs every benchmark section in turn and prints its figures beside their baselines.
import { printSection, type Figure } from './report.ts';

const SECTIONS: { title: string; load: () => Promise<{ run(): Promise<Figure[]> }> }[] = [
  { title: '1. Firmware CPU budget (emulated cycles per 1 kHz control period)', load: () => import('./firmware-cpu.ts') },
  { title: '2. Command-to-ack round trip', load: () => import('./link-rtt.ts') },
  { title: '3. Link efficiency', load: () => import('./link-efficiency.ts') },
  { title: '4. Emulator speed', load: () => import('./emulator-speed.ts') },
  { title: '5. Link watchdog', load: () => import('./watchdog.ts') },
  { title: '6. Executor loop jitter (worker loop vs setInterval / setTimeout chain)', load: () => import('./loop-jitter.ts') },
  { title: '7. Skills: scripted pick-and-place (kinematic robot)', load: () => import('./skills-task.ts') },
  { title: '8. Reaction time: correction / skill change -> first changed setpoint on the wire', load: () => import('./reaction-time.ts') },
  { title: '9. Policy skill: inference latency and learned task success', load: () => import('./policy-inference.ts') },
  { title: '10. MQTT bridge: telemetry fan-out (aedes vs mosquitto) and the bridge cost', load: () => import('./bridge-fanout.ts') },
  { title: '11. Planner bridge: decision overhead, jitter with LLM requests in flight, task success with/without grounding', load: () => import('./planner.ts') },
  { title: '12. Dashboard end-to-end latency: MCU telemetry -> browser, e-stop button -> zero PWM', load: () => import('./dashboard-latency.ts') },
  { title: '13. Soak: the default stack for an hour (GANGLION_SOAK_MINUTES, --soak-minutes=N), per minute beside the first 5 minutes', load: () => import('./soak.ts') },
  { title: '14. Lossy link: 1 % byte corruption both ways for 60 s at 200 Hz, ack p99 and watchdog trips', load: () => import('./lossy-link.ts') },
  { title: '15. Recording overhead: 1 kHz x 20 channels for 60 s, recording vs not', load: () => import('./recording.ts') },
  { title: '16. Demonstrations: training time and learned skill vs the scripted expert', load: () => import('./learn.ts') },
  { title: '17. Link under fault injection: 100k commands at 1 % corruption + 1 % drop + 1 % duplicates both ways, applied once and in order', load: () => import('./fault-injection.ts') },
  { title: '18. Firmata vs Ganglion firmware: command-to-pin latency and the highest command rate held without loss', load: () => import('./firmata.ts') },
];

const only = process.argv.slice(2);
// Some sections at times await only a worker message or an Atomics.waitAsync, which do not keep Node's event loop
// alive: without this the process could exit (code 13) in the middle of a section.
const keepAlive = setInterval(() => {}, 1000);
let failed = 0;
for (const s of SECTIONS) {
  if (only.length && !only.some((o) => s.title.toLowerCase().includes(o.toLowerCase()))) continue;
  try {
    printSection(s.title, await (await s.load()).run());
  } catch (e) {
    failed++;
    console.log(`\n## ${s.title}\n- FAILED to run: ${(e as Error).stack ?? e}`);
  }
}
clearInterval(keepAlive);
process.exitCode = failed ? 1 : 0;
