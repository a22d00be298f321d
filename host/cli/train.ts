// `ganglion train DATASET... --skill NAME`: behaviour cloning from LeRobotDataset v3.0 folders into a learned skill folder the planner can call; --dagger continues a previous round.
import cliProgress from 'cli-progress';
import { evaluateSkill } from '../demos/evaluate-skill.ts';
import { trainSkill } from '../learn/train.ts';
import { intOption, parseCommand, type Out } from './args.ts';

const HELP = `usage: ganglion train DATASET... --skill NAME [options]

Trains a skill by behaviour cloning (TF.js MLP) from LeRobotDataset v3.0 folders (as
\`ganglion export --format lerobot\` writes them). Episodes are split into train/validation, inputs
and outputs are normalised with the training split's stats, and training stops early when the
validation loss stops improving (the best epoch is kept). The skill goes to OUT/NAME/ (policy.json
with features and stats, model.json, weights.bin); \`ganglion plan --skills OUT\` can call it.

  --skill NAME               skill name (a-z, 0-9, _)                            (required)
  --out DIR                  where the skill folder goes (default ./skills)
  --observation A,B,...      which policy observation features to use (default: the dataset's
                             observation.state names if they are policy features; for an export of
                             \`ganglion record --teleop\` a reach policy's: joint positions and
                             velocities from observation.state/velocity, the goal from
                             observation.environment_state)
  --action A,B,...           which policy action features (default: likewise; for an export, the
                             shoulder and elbow deltas: the envelope's setpoint minus the position)
  --hidden 64,64             hidden layer widths
  --epochs N                 at most N epochs (default 60)       --patience N  early stop (default 8; 0 off)
  --seed N                   same seed and data, same model (default 1)
  --all-episodes             also train on demonstrations that did not end on their goal (by default those
                             more than 10 mm off are left out, and a dataset where none reached is refused)
  --intervention-weight W    loss weight of frames where a person corrected or took over (default 3)
  --dagger PREV_DIR          a DAgger round: aggregate PREV_DIR's datasets with these (the policy's own
                             runs) and continue from its weights; of these only the frames where a person
                             took over or corrected are kept (HG-DAgger), in this round and later ones
  --policy-frames            with --dagger: also train on the frames the policy drove (its own actions as
                             labels; they drift the policy toward itself)
  --eval N                   score the saved skill on N held-out reach scenes; the success rate
                             becomes its affordance (default 100; 0 skips)
`;

const int = (name: string, v: string | undefined, def: number, min: number): number => intOption(v, name, min) ?? def;

export async function trainMain(argv: string[], out: Out = (s) => process.stdout.write(s), err: Out = (s) => process.stderr.write(s), tty = process.stderr.isTTY === true): Promise<number> {
  const parsed = parseCommand('train', HELP, argv, {
    skill: { type: 'string' }, out: { type: 'string' }, observation: { type: 'string' }, action: { type: 'string' }, hidden: { type: 'string' },
    epochs: { type: 'string' }, patience: { type: 'string' }, seed: { type: 'string' }, 'intervention-weight': { type: 'string' }, 'all-episodes': { type: 'boolean' },
    dagger: { type: 'string' }, 'policy-frames': { type: 'boolean' }, eval: { type: 'string' },
  }, { positionals: true, out, err });
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  if (!v.skill || (parsed.positionals.length === 0 && !v.dagger)) {
    err(`ganglion train: give DATASET (a LeRobot v3.0 folder) and --skill NAME\n\n${HELP}`);
    return 2;
  }
  const weight = v['intervention-weight'] === undefined ? 3 : Number(v['intervention-weight']);
  if (!(weight > 0)) throw new Error(`--intervention-weight ${v['intervention-weight']}: expected a number > 0`);
  const evalScenes = int('eval', v.eval, 100, 0);
  // A bar on a terminal; one line per epoch otherwise (logs, CI), so progress is never silent.
  const bar = tty ? new cliProgress.SingleBar({ format: 'train [{bar}] epoch {value}/{total}  loss {loss}  val {val}', stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  const r = await trainSkill({
    datasets: parsed.positionals,
    skill: v.skill,
    out: v.out ?? 'skills',
    ...(v.observation ? { observation: v.observation.split(',').map((s) => s.trim()) } : {}),
    ...(v.action ? { action: v.action.split(',').map((s) => s.trim()) } : {}),
    ...(v.hidden ? { hidden: v.hidden.split(',').map((h) => int('hidden', h, 0, 1)) } : {}),
    epochs: int('epochs', v.epochs, 60, 1),
    patience: int('patience', v.patience, 8, 0),
    seed: int('seed', v.seed, 1, 0),
    intervention_weight: weight,
    ...(v['all-episodes'] ? { all_episodes: true } : {}),
    ...(v.dagger ? { dagger_from: v.dagger } : {}),
    ...(v['policy-frames'] ? { policy_frames: true } : {}),
    log: (l) => out(`${l}\n`),
    onEpoch: (e, n, loss, val) => {
      if (bar) {
        if (!started) bar.start(n, 0, { loss: '-', val: '-' });
        started = true;
        bar.update(e, { loss: loss.toFixed(4), val: val.toFixed(4) });
      } else out(`epoch ${e}/${n}: loss ${loss.toFixed(5)}, val_loss ${val.toFixed(5)} (normalised MSE)\n`);
    },
  }).finally(() => bar?.stop());
  out(`${r.result.samples} training frames from ${r.result.episodes.train} episodes (${r.result.episodes.validation} held out), ${r.intervention_frames} intervention frames weighted x${weight}\n`);
  if (evalScenes > 0) {
    const s = await evaluateSkill(r.dir, evalScenes);
    out(`evaluation: ${Math.round(s.success_rate * 100)} % of ${s.scenes} held-out reach scenes done within ${s.tolerance_m * 1000} mm\n`);
  }
  out(`skill "${v.skill}" in ${r.dir}: ganglion plan --kinematic --skills ${v.out ?? 'skills'} "..."\n`);
  return 0;
}

/** The CLI dispatcher's entry point (host/cli/main.ts loads `main`). */
export const main = (argv: string[]) => trainMain(argv);
