/* Closed-loop modes against the posix hal's simulated motor: velocity and position control, soft start, homing. */
#include "harness.h"
#include "state.h"
#include "../hal/posix/hal_posix.h"

#define Q16(x) ((int32_t)((x) * 65536.0))
#define PWM 30
#define DIR 31
#define ENC_A 26
#define ENC_B 27

static void setup(uint8_t flags) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY);
  t_config_link(1000, 1000, 10);
  t_config_motor(0, PWM, DIR, 0xFF, ENC_A, ENC_B, 0xFF, 0xFF, flags, 1000);
  t_simple(GNG_MSG_ARM);
}

/* Keep the link watchdog fed while time passes. */
static void run(uint32_t ms) {
  for (; ms >= 100; ms -= 100) {
    t_run_ms(100);
    t_simple(GNG_MSG_HEARTBEAT);
  }
  t_run_ms(ms);
}

static void encoder_counts_and_velocity(void) {
  setup(0);
  t_set_motor(0, GNG_MODE_PWM, 400); /* plant: 5 counts/s per permille -> 2000 counts/s */
  run(500);
  gng_telemetry_t t = t_telemetry();
  CHECK(t.vel_cps[0] > 1900 && t.vel_cps[0] < 2050);
  int32_t plant = hal_posix_plant_counts(0);
  CHECK(t.counts[0] - plant <= 1 && plant - t.counts[0] <= 3);
}

static void invert_encoder(void) {
  setup(GNG_MOTOR_FLAG_INVERT_ENCODER);
  t_set_motor(0, GNG_MODE_PWM, 400);
  run(300);
  CHECK(t_telemetry().counts[0] < -100);
  CHECK(t_telemetry().vel_cps[0] < -1000);
}

static void velocity_mode_tracks(void) {
  setup(0);
  t_config_pid(0, Q16(0.05), Q16(2.0), 0, 1000, 0, 10000);
  t_set_motor(0, GNG_MODE_VELOCITY, 1500);
  run(1500);
  gng_telemetry_t t = t_telemetry();
  CHECK(t.vel_cps[0] > 1400 && t.vel_cps[0] < 1600);
  int32_t v = hal_posix_plant_vel_cps(0);
  CHECK(v > 1450 && v < 1550);
  t_set_motor(0, GNG_MODE_VELOCITY, -800);
  run(1500);
  v = hal_posix_plant_vel_cps(0);
  CHECK(v < -750 && v > -850);
}

static void position_mode_soft_start_and_hold(void) {
  setup(0);
  t_config_pid(0, Q16(3.0), 0, Q16(0.1), 200, 2000, 4000); /* PD: the model has no friction to integrate away */
  t_set_motor(0, GNG_MODE_POSITION, 3000 << GNG_POSITION_FRAC_BITS);
  /* soft start: the reference ramps, so the output does not jump to the clamp on the first tick */
  t_run_ms(5);
  CHECK(t_telemetry().out_permille[0] < 300);
  int32_t peak_vel = 0;
  for (int i = 0; i < 40; i++) {
    run(100);
    int32_t v = hal_posix_plant_vel_cps(0);
    if (v > peak_vel) peak_vel = v;
  }
  gng_telemetry_t t = t_telemetry();
  CHECK(t.counts[0] > 2990 && t.counts[0] < 3010);
  CHECK(peak_vel < 2300); /* follows the 2000 counts/s reference, give or take the loop's lag */
  CHECK(gng.motor[0].traj.pos == 3000);
}

static void homing_redefines_position(void) {
  setup(0);
  t_config_pid(0, Q16(3.0), 0, 0, 0, 2000, 4000);
  t_set_motor(0, GNG_MODE_POSITION, 1000 << GNG_POSITION_FRAC_BITS);
  run(2000);
  uint8_t p[6] = {GNG_MSG_SET_POSITION, 0, 0, 0, 0, 0}; /* here is 0 now */
  t_send(p, 6);
  run(10);
  gng_telemetry_t t = t_telemetry();
  CHECK(t.counts[0] > -20 && t.counts[0] < 20);
  int32_t plant = hal_posix_plant_counts(0);
  run(500);
  /* the loop did not lurch: the reference moved with the count */
  int32_t moved = hal_posix_plant_counts(0) - plant;
  CHECK(moved > -20 && moved < 20);
}

/* A reconnecting host re-sends config_motor: the same encoder wiring keeps the count (the joint's zero stays where
   it was), other encoder wiring starts from 0. */
/* POSITION setpoints are counts Q24.8: a target between counts is where the reference lands, a quarter-count step
   from rest moves the output at the next tick, and homing shifts a fractional target by whole counts. */
static void position_setpoint_between_counts(void) {
  setup(0);
  t_config_pid(0, Q16(8.0), 0, 0, 0, 2000, 4000);
  t_set_motor(0, GNG_MODE_POSITION, (500 << GNG_POSITION_FRAC_BITS) + 128); /* 500.5 counts */
  run(1500);
  CHECK_EQ(gng.motor[0].traj.pos, 500);
  CHECK_EQ(gng.motor[0].traj.frac, 0x8000);
  int32_t at = t_telemetry().counts[0];
  CHECK(at >= 499 && at <= 502);
  /* hold where it is, then a quarter of a count ahead */
  t_set_motor(0, GNG_MODE_POSITION, at << GNG_POSITION_FRAC_BITS);
  run(1000);
  int16_t before = t_telemetry().out_permille[0];
  t_set_motor(0, GNG_MODE_POSITION, (at << GNG_POSITION_FRAC_BITS) + 64);
  t_run_ms(1);
  CHECK(gng.motor[0].traj.v_q16 > 0 && gng.motor[0].traj.frac > 0); /* the reference left the count at once */
  /* and the output follows it while it is still between the same two counts (the ramp at 4000 counts/s^2 needs
     ~8 ms to move 1/8 count, 1 permille at kp 8) */
  int ms = 0;
  while (ms < 20 && t_telemetry().out_permille[0] <= before) {
    t_run_ms(1);
    ms++;
  }
  CHECK(ms < 20);
  CHECK_EQ(gng.motor[0].traj.pos, at);
  uint8_t p[6] = {GNG_MSG_SET_POSITION, 0, 0, 0, 0, 0}; /* here is 0 now */
  t_send(p, 6);
  run(2000);
  CHECK_EQ(gng.motor[0].traj.pos, 0);
  CHECK_EQ(gng.motor[0].traj.frac, 0x4000); /* the quarter count kept its place */
}

static void reconfiguring_the_same_encoder_keeps_the_count(void) {
  setup(0);
  t_set_motor(0, GNG_MODE_PWM, 400);
  run(300);
  t_set_motor(0, GNG_MODE_OFF, 0);
  run(300);
  int32_t before = t_telemetry().counts[0];
  CHECK(before > 300);
  t_config_motor(0, PWM, DIR, 0xFF, ENC_A, ENC_B, 0xFF, 0xFF, 0, 1000);
  run(20);
  int32_t after = t_telemetry().counts[0];
  CHECK(after - before <= 2 && before - after <= 2);
  t_config_motor(0, PWM, DIR, 0xFF, ENC_A, ENC_B, 0xFF, 0xFF, GNG_MOTOR_FLAG_INVERT_ENCODER, 1000);
  run(20);
  int32_t flipped = t_telemetry().counts[0];
  CHECK(flipped > -3 && flipped < 3); /* inverted counting is another frame: it starts from 0 */
}

static void mode_off_coasts(void) {
  setup(0);
  t_set_motor(0, GNG_MODE_PWM, 500);
  run(100);
  t_set_motor(0, GNG_MODE_OFF, 0);
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK_EQ(t_telemetry().out_permille[0], 0);
}

/* A velocity setpoint is converted to per-tick units once and reused while it repeats; any other value (a sign
   flip, a different speed, a mode change in between) gets its own conversion. */
static void velocity_setpoint_conversion_reused_only_for_the_same_value(void) {
  setup(0);
  static const int32_t seq[] = {2000, 2000, -2000, 2000, 1999, 0, 1999, 1000000, 2147483647, -5};
  int ok = 1;
  for (unsigned k = 0; k < sizeof seq / sizeof seq[0]; k++) {
    if (k == 5) t_set_motor(0, GNG_MODE_PWM, 100); /* a mode change in between */
    t_set_motor(0, GNG_MODE_VELOCITY, seq[k]);
    t_run_ms(1);
    if (gng.motor[0].mode != GNG_MODE_VELOCITY || gng.motor[0].setpoint != gng_cps_to_q16(seq[k])) ok = 0;
  }
  CHECK(ok);
}

int main(void) {
  RUN(encoder_counts_and_velocity);
  RUN(invert_encoder);
  RUN(velocity_mode_tracks);
  RUN(position_mode_soft_start_and_hold);
  RUN(homing_redefines_position);
  RUN(position_setpoint_between_counts);
  RUN(reconfiguring_the_same_encoder_keeps_the_count);
  RUN(mode_off_coasts);
  RUN(velocity_setpoint_conversion_reused_only_for_the_same_value);
  return t_summary("test_motor");
}
