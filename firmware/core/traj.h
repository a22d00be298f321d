/* Reference generator: trapezoidal moves (position mode) and acceleration-limited ramps (velocity mode). */
#ifndef GNG_TRAJ_H
#define GNG_TRAJ_H
#include <stdint.h>

/* The reference lives in per-tick units so one tick is one addition: velocity in counts/tick Q16.16 and acceleration
   in counts/tick^2 Q16.16 (tick = 1 ms). 1 count/s = 65.536 in these units. */
#define GNG_VEL_MAX_CPS 1000000L     /* [counts/s] larger limits and setpoints are clamped to this */
#define GNG_TRAJ_UNLIMITED_Q16 (1L << 26) /* stands in for "no limit": 1024 counts/tick */

typedef struct {
  int32_t vmax_q16;   /* [counts/tick Q16] velocity limit */
  int32_t amax_q16;   /* [counts/tick^2 Q16] acceleration limit */
  int32_t stop_zone;  /* [counts] farther than this from the target a full-speed move can still stop: no need to check */
  int32_t pos;        /* [counts] reference position, whole part */
  uint16_t frac;      /* [counts Q16] reference position, fraction */
  int32_t v_q16;      /* [counts/tick Q16] reference velocity */
  /* The stopping distance of the speed last tested: k_q = ceil(k_v * (k_v + a) / 2a) [counts Q16] for k_v > 0
     (UINT32_MAX: that much or more); k_v = 0: none yet. Kept so the next tick's tests cost additions, not products. */
  int32_t k_v;
  uint32_t k_q;
} gng_traj_t;

int32_t gng_cps_to_q16(int32_t cps);   /* [counts/s] -> [counts/tick Q16], clamped to GNG_VEL_MAX_CPS */
int32_t gng_q16_to_cps(int32_t v_q16); /* [counts/tick Q16] -> [counts/s] */

/* 0 means no limit. */
void gng_traj_limits(gng_traj_t *t, int32_t vel_limit_cps, int32_t accel_limit_cps2);
/* Start from where the motor is, so entering a mode never jumps the reference (soft start). */
void gng_traj_start(gng_traj_t *t, int32_t pos, int32_t v_q16);
/* Move the reference one tick toward target + target_frac / 65536 [counts] within the limits; it lands on the target
   exactly. */
void gng_traj_step_position(gng_traj_t *t, int32_t target, uint16_t target_frac);
/* Ramp the reference velocity one tick toward target_v_q16 within the acceleration limit. */
void gng_traj_step_velocity(gng_traj_t *t, int32_t target_v_q16);

#endif
