// The layer order of host/ as data, top first: a folder imports only from its own rank or below, and no folders import each other in a cycle (test/structure/layers.test.ts checks every import).
/**
 * Each rank lists folders of host/. Imports may go sideways within a rank (the folder graph must stay acyclic) or down
 * to any lower rank, never up. The emulator sits beside the real transports: it implements link's Transport.
 * `boot` starts each node's MCU (or opens its port) and connects a session: what calibration and the runtime's
 * start-up (runtime/start-robot.ts) share. `demos` holds the demo scenes and tasks that only the command line runs. Test helpers live in test/, never here.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['cli'],
  ['demos'],
  ['bridge', 'planner', 'dashboard', 'teleop', 'record', 'learn'],
  ['runtime'],
  ['world'],
  ['skills'],
  ['executor', 'calibration', 'flash'],
  ['boot'],
  ['link', 'emulator', 'firmata'],
  ['hw', 'protocol'],
  ['util'],
];
