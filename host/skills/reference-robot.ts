// The reference robot (schematics/reference-robot.json) as a model: its envelope and geometry, read on first use, for the tests, benchmarks and demos that say they run it.
import { envelopeFor, REFERENCE_LIMITS, type EnvelopeConfigInput } from '../executor/envelope-config.ts';
import { loadRobot, REFERENCE_ROBOT } from '../hw/robot.ts';
import { geometryFor, type RobotGeometry } from './geometry.ts';

let model: { envelope: EnvelopeConfigInput; geometry: Readonly<RobotGeometry> } | null = null;

function referenceModel(): NonNullable<typeof model> {
  if (!model) {
    const robot = loadRobot(REFERENCE_ROBOT);
    const envelope = envelopeFor(REFERENCE_LIMITS, robot.kinematics, robot.name);
    model = { envelope, geometry: Object.freeze(geometryFor(robot, envelope)) };
  }
  return model;
}

/** The reference robot's envelope (REFERENCE_LIMITS with its wheel radius). */
export function referenceEnvelope(): EnvelopeConfigInput {
  return referenceModel().envelope;
}

/** The reference robot's geometry. Production code takes the geometry of the robot it was given, never this. */
export function referenceGeometry(): Readonly<RobotGeometry> {
  return referenceModel().geometry;
}
