// Behaviour cloning of a demonstration file (host/demos' JSON-lines format): the episodes go to the trainer in host/learn/bc.ts.
import { trainEpisodes, type BcOptions, type BcResult } from '../learn/bc.ts';
import type { DemoSet } from './record-file.ts';

export { buildMlp, columnStats, type Stats } from '../learn/bc.ts';

export interface TrainOptions extends Omit<BcOptions, 'onEpoch'> {
  onEpoch?: (epoch: number, loss: number, val_loss: number) => void;
}

export type TrainResult = BcResult;

/** Trains an MLP to map the demonstrations' observations to their actions. */
export async function trainBehaviourCloning(demos: DemoSet, o: TrainOptions = {}): Promise<TrainResult> {
  const { onEpoch, ...rest } = o;
  return trainEpisodes(demos.episodes, demos.header.observation.length, demos.header.action.length, {
    // A fixed epoch count, as this script always ran: its figures are quoted for that many epochs.
    patience: 0,
    ...rest,
    ...(onEpoch ? { onEpoch: (e: number, _n: number, loss: number, val: number) => onEpoch(e, loss, val) } : {}),
  });
}
