// The simulated tabletop as the runtime's perception source: measured joint motion steps the world (base, arm, grasp), and perception reads it back.
import type { Pose2 } from '../skills/arm.ts';
import { ELBOW, GRIPPER, SHOULDER, type RobotGeometry } from '../skills/geometry.ts';
import type { PerceivedObject } from '../skills/observation.ts';
import { wheelStep, type WheelJoints } from './odometry.ts';
import type { PerceptionSource, TelemetryFrame } from './perception.ts';
import { perceive, stepWorld, type World } from './world.ts';

export class TabletopPerception implements PerceptionSource {
  /** The world now; a demo may replace it (a new scene around the robot). */
  world: World;

  constructor(world: World, private readonly o: { geometry: RobotGeometry; wheels: WheelJoints }) {
    this.world = world;
  }

  /** The robot's geometry this world models (from the robot file given): new scenes are drawn feasible for it. */
  get geometry(): Readonly<RobotGeometry> {
    return this.o.geometry;
  }

  update(frame: TelemetryFrame): void {
    const s = wheelStep(frame, this.o.wheels);
    if (!s) return;
    // The arm joints are the skills' names (skills/geometry.ts): the world models that arm.
    const at = (j: string) => frame.joints[j]?.position_rad ?? 0;
    this.world = stepWorld(this.world, {
      wheel_left_radps: s.wl_radps, wheel_right_radps: s.wr_radps,
      shoulder_rad: at(SHOULDER), elbow_rad: at(ELBOW), gripper_rad: at(GRIPPER),
    }, frame.dt_s, this.o.geometry);
  }

  base(): Pose2 {
    return { ...this.world.base };
  }

  perceive(): { objects: PerceivedObject[]; held_id: string | null } {
    return perceive(this.world);
  }
}
