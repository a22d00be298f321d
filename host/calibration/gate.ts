// What `ganglion run` calls before arming: the robot's calibration, or (with no real boards) a first one made in emulation.
import type { Robot } from '../hw/robot.ts';
import { CalibrationError, calibrationPath, writeCalibration } from './file.ts';
import { calibrateEmulated } from './emulated.ts';
import { requireCalibration } from './require.ts';
import type { Calibration } from './schema.ts';

export interface GateOptions {
  /** No node is on a real board: the robot can calibrate its emulated twin itself. */
  simulated: boolean;
  file?: string;
  log?: (line: string) => void;
}

/**
 * requireCalibration, except that a simulated robot without a calibration file calibrates itself once (in emulated
 * time, a few seconds) and writes the file. A corrupt or mismatched file is never overwritten here: a human decides.
 */
export async function calibrationForRun(robot: Robot, o: GateOptions): Promise<Calibration> {
  const file = o.file ?? calibrationPath(robot.name);
  const log = o.log ?? (() => {});
  try {
    return requireCalibration(robot, file);
  } catch (e) {
    if (!(e instanceof CalibrationError && e.problem === 'missing' && o.simulated)) throw e;
  }
  log(`calibration: none for robot ${robot.name} yet; calibrating the emulated robot once (as \`ganglion calibrate --auto\` does)`);
  const { calibration } = await calibrateEmulated(robot, { log: (l) => log(`calibration: ${l}`) });
  writeCalibration(file, calibration);
  log(`calibration: written to ${file}`);
  return requireCalibration(robot, file);
}
