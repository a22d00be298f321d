/* Reference generator (see traj.h). Only moves near their end need 64-bit arithmetic, which is slow on AVR. */
#include "traj.h"
#include "fixed.h"

int32_t gng_cps_to_q16(int32_t cps) {
  cps = gng_clamp32(cps, -GNG_VEL_MAX_CPS, GNG_VEL_MAX_CPS);
  /* |cps| * 65536 / 1000 as a multiply by ceil(65.536 * 2^32), keeping the high word (no 32-bit division: ~600
     cycles on AVR, and this runs for every velocity setpoint). The constant's excess stays below 1/125 of a unit up
     to 10^6 counts/s, less than the gap between exact results, so this is exactly the truncated quotient. */
  uint32_t mag = (uint32_t)(cps < 0 ? -cps : cps);
  uint32_t q = (uint32_t)(((uint64_t)mag * 281474976711ULL) >> 32);
  return cps < 0 ? -(int32_t)q : (int32_t)q;
}

int32_t gng_q16_to_cps(int32_t v_q16) {
  return ((v_q16 >> 3) * 125) >> 10;
}

void gng_traj_limits(gng_traj_t *t, int32_t vel_limit_cps, int32_t accel_limit_cps2) {
  int32_t v = vel_limit_cps <= 0 ? GNG_TRAJ_UNLIMITED_Q16 : gng_cps_to_q16(vel_limit_cps);
  int32_t a = GNG_TRAJ_UNLIMITED_Q16;
  if (accel_limit_cps2 > 0) {
    /* a * 65536 / 10^6 by a multiply with floor(0.065536 * 2^32): rounded down, so the limit is never exceeded,
       but at least 1. No division: config bursts arrive at 1 Mbaud and must be handled faster than they come. */
    uint64_t q = ((uint64_t)(uint32_t)accel_limit_cps2 * 281474976ULL) >> 32;
    a = q < 1 ? 1 : (q > GNG_TRAJ_UNLIMITED_Q16 ? GNG_TRAJ_UNLIMITED_Q16 : (int32_t)q);
  }
  if (v < 1) v = 1;
  t->vmax_q16 = v;
  t->amax_q16 = a;
  /* An upper bound of the stopping distance from full speed, v * (v / a + 1) / 2 in Q16, in whole counts. */
  uint32_t ticks = (uint32_t)v / (uint32_t)a + 1u;
  uint32_t v_counts = ((uint32_t)v >> 16) + 1u;
  t->stop_zone = ticks > (1ul << 21) ? INT32_MAX : (int32_t)(v_counts * ((ticks >> 1) + 1u) + 2u);
}

void gng_traj_start(gng_traj_t *t, int32_t pos, int32_t v_q16) {
  t->pos = pos;
  t->frac = 0;
  t->v_q16 = gng_clamp32(v_q16, -t->vmax_q16, t->vmax_q16);
}

static void integrate(gng_traj_t *t) {
  int32_t sum = (int32_t)t->frac + t->v_q16;
  t->pos += sum >> 16; /* arithmetic shift: floor, so the fraction stays in 0..65535 */
  t->frac = (uint16_t)(sum & 0xFFFF);
}

/* Can a speed c toward the target still stop within dist (all Q16, per tick)? Decelerating by a per tick from c
   covers c + (c - a) + ... = (c^2 + c*a) / 2a. */
static uint8_t can_stop(int32_t c, int32_t a, uint64_t dist) {
  if (c <= 0) return 1;
  return (uint64_t)c * (uint64_t)c + (uint64_t)c * (uint64_t)a <= 2u * (uint64_t)a * dist;
}

void gng_traj_step_position(gng_traj_t *t, int32_t target) {
  const int32_t a = t->amax_q16, vmax = t->vmax_q16, v = t->v_q16;
  int32_t dc = gng_sub_sat32(target, t->pos);
  int32_t dir = dc > 0 ? 1 : ((dc < 0 || t->frac) ? -1 : 0);
  if (dir == 0) {
    if (v == 0) return;
    dir = v > 0 ? -1 : 1; /* at the target but moving: the target is behind us */
  }
  int32_t sv = v * dir; /* speed toward the target; negative when moving away */
  int32_t c1 = sv + a > vmax ? vmax : sv + a; /* accelerate toward the target (or brake a motion away from it) */
  int32_t s_new;
  if (gng_abs32(dc) > t->stop_zone) {
    s_new = c1; /* far: full acceleration is always safe */
  } else {
    int64_t d_q16 = (int64_t)dc * 65536 - (int64_t)t->frac;
    uint64_t dist = (uint64_t)(d_q16 < 0 ? -d_q16 : d_q16);
    if (dist <= (uint64_t)a && dist <= (uint64_t)vmax && gng_abs32((int32_t)dist - sv) <= a) {
      t->pos = target; /* land exactly: this step and the stop after it are each within one acceleration step */
      t->frac = 0;
      t->v_q16 = dir * (int32_t)dist;
      return;
    }
    int32_t c2 = sv > vmax ? vmax : sv;
    if (sv < 0) s_new = can_stop(c1, a, dist) ? c1 : 0; /* moving away: brake, turn only if we can stop again */
    else if (can_stop(c1, a, dist)) s_new = c1;
    else if (can_stop(c2, a, dist)) s_new = c2;
    else s_new = sv - a; /* decelerate; if even this overshoots, the moving-away branch brings us back */
  }
  t->v_q16 = dir * s_new;
  integrate(t);
}

void gng_traj_step_velocity(gng_traj_t *t, int32_t target_v_q16) {
  int32_t tv = gng_clamp32(target_v_q16, -t->vmax_q16, t->vmax_q16);
  int32_t dv = gng_clamp32(tv - t->v_q16, -t->amax_q16, t->amax_q16);
  t->v_q16 += dv;
  integrate(t);
}
