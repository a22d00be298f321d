// The `ganglion` command: dispatches to one module per subcommand, loaded only when used.

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> }> = {
  run: { summary: 'boot the robot (emulated by default, or real boards with --port/--robot) and drive it', load: () => import('./run.ts') },
  flash: { summary: 'build the firmware for a board and flash it with avrdude (--dry-run prints the command)', load: () => import('./flash.ts') },
  doctor: { summary: 'list serial ports, check permissions and toolchain, and identify connected boards', load: () => import('./doctor.ts') },
  schematic: { summary: 'check a robot wiring file against its boards and render it to SVG', load: () => import('./schematic.ts') },
  calibrate: { summary: 'measure joint directions, zero offsets and limits (--auto, or by hand) into calibration/<robot>.json', load: () => import('./calibrate.ts') },
  dashboard: { summary: 'serve the web dashboard (it connects to the broker over MQTT-over-WebSocket as the user who logs in)', load: () => import('../dashboard/cli.ts') },
  'broker-config': { summary: 'manage broker users; write mosquitto passwd, ACL and conf', load: () => import('./broker-config.ts') },
  plan: { summary: 'plan and run a task ("put the red block in the bin") with the LLM planner or the offline rule planner', load: () => import('./plan.ts') },
  record: { summary: 'record demonstrations (MCAP, one file per session) on the emulated robot, LeRobot-style episodes and keys', load: () => import('./record.ts') },
  replay: { summary: 'replay a recorded episode through the safety envelope and print tracking error against the recording', load: () => import('./replay.ts') },
  export: { summary: 'export recordings to a LeRobotDataset v3.0 directory (--format lerobot --out DIR)', load: () => import('./export.ts') },
  teleop: { summary: 'teleoperate the emulated robot from the leader device (--scripted: a scripted person turns its pots) or the terminal keys', load: () => import('./teleop.ts') },
  train: { summary: 'train a skill by behaviour cloning from LeRobot v3.0 datasets (--dagger: a round on the policy\'s runs plus interventions)', load: () => import('./train.ts') },
  memory: { summary: 'list or delete entries of the corrections memory the planner retrieves from', load: () => import('./memory.ts') },
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'ganglion: edge controller for skill-based robots',
    '',
    'usage: ganglion <command> [options]    (ganglion <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`ganglion: unknown command "${cmd}"\n\n${help()}`);
    return 2;
  }
  return (await c.load()).main(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`ganglion: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
