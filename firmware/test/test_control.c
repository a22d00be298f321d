/* PID (clamps, anti-windup) and the reference generator (velocity/acceleration limits, exact landing). */
#include <stdlib.h>
#include "harness.h"
#include "pid.h"
#include "traj.h"

#define Q16(x) ((int32_t)((x) * 65536.0))

static void pid_proportional_and_clamp(void) {
  gng_pid_t p;
  gng_pid_config(&p, Q16(2.0), 0, 0, 0);
  CHECK_EQ(gng_pid_step(&p, 100, 0, 0, -1000, 1000), 200);
  CHECK_EQ(gng_pid_step(&p, -100, 0, 0, -1000, 1000), -200);
  CHECK_EQ(gng_pid_step(&p, 100000, 0, 0, -1000, 1000), 1000);
  CHECK_EQ(gng_pid_step(&p, 2000000000, 0, 0, -300, 300), 300); /* no overflow on huge errors */
  CHECK_EQ(gng_pid_step(&p, -2000000000, 0, 0, -300, 300), -300);
}

static void pid_integral_rate(void) {
  gng_pid_t p;
  gng_pid_config(&p, 0, Q16(10.0), 0, 1000); /* 10 permille per count-second */
  int16_t out = 0;
  for (int i = 0; i < 1000; i++) out = gng_pid_step(&p, 5, 0, 0, -1000, 1000);
  /* 5 counts for 1 s at ki 10 -> 50 permille */
  CHECK(out >= 49 && out <= 50);
}

static void pid_anti_windup(void) {
  gng_pid_t p;
  gng_pid_config(&p, Q16(1.0), Q16(100.0), 0, 800);
  /* saturated for a long time: the integral must stop growing, not wind up to i_limit */
  for (int i = 0; i < 5000; i++) CHECK(gng_pid_step(&p, 2000, 0, 0, -500, 500) <= 500);
  CHECK(p.i_acc_q16 <= ((int32_t)500 << 16));
  /* after the error reverses, the output leaves saturation at once instead of after an unwinding delay */
  int16_t out = gng_pid_step(&p, -400, 0, 0, -500, 500);
  CHECK(out < 500);
  /* the integral clamp holds while the output is not saturated */
  gng_pid_t q;
  gng_pid_config(&q, 0, Q16(100.0), 0, 50);
  for (int i = 0; i < 5000; i++) gng_pid_step(&q, 10, 0, 0, -1000, 1000);
  CHECK_EQ(q.i_acc_q16, (int32_t)50 << 16);
  CHECK_EQ(gng_pid_step(&q, 0, 0, 0, -1000, 1000), 50);
}

static void pid_no_windup_against_limit(void) {
  gng_pid_t p;
  gng_pid_config(&p, Q16(1.0), Q16(100.0), 0, 1000);
  for (int i = 0; i < 1000; i++) CHECK_EQ(gng_pid_step(&p, 50, 0, 0, -1000, 0), 0); /* positive side blocked */
  CHECK(p.i_acc_q16 <= 0);
}

static void pid_derivative(void) {
  gng_pid_t p;
  gng_pid_config(&p, 0, 0, Q16(0.5), 0);
  CHECK_EQ(gng_pid_step(&p, 0, 0, 400, -1000, 1000), 200);
}

/* Per-tick checks of a position move: speed and acceleration within limits, lands exactly, no overshoot. */
static void check_move(int32_t start, int32_t target, int32_t vmax_cps, int32_t amax_cps2) {
  gng_traj_t t;
  gng_traj_limits(&t, vmax_cps, amax_cps2);
  gng_traj_start(&t, start, 0);
  double prev_v = 0, prev_pos = start;
  double vmax = vmax_cps * 1e-3, amax = amax_cps2 * 1e-6; /* per tick */
  int landed_at = -1;
  int dir = target > start ? 1 : -1;
  for (int i = 0; i < 200000; i++) {
    gng_traj_step_position(&t, target, 0);
    double pos = t.pos + t.frac / 65536.0;
    double v = pos - prev_pos;
    if (v * dir > vmax * 1.0001 + 1e-6 || v * dir < -1e-9) {
      t_fail(__FILE__, __LINE__, "speed within the limit and toward the target", (long long)(v * 1e6), i);
      return;
    }
    if (v - prev_v > amax * 1.0001 + 2e-5 || prev_v - v > amax * 1.0001 + 2e-5) {
      t_fail(__FILE__, __LINE__, "acceleration within the limit", (long long)((v - prev_v) * 1e9), i);
      return;
    }
    if ((pos - target) * dir > 1e-9) {
      t_fail(__FILE__, __LINE__, "no overshoot", (long long)(pos * 1000), i);
      return;
    }
    prev_v = v;
    prev_pos = pos;
    if (t.pos == target && t.frac == 0 && t.v_q16 == 0) {
      landed_at = i;
      break;
    }
  }
  CHECK(landed_at > 0);
  /* and in about the time a trapezoid takes */
  double d = (double)(target - start) * dir;
  double ideal_ms = d / vmax_cps * 1000 + (double)vmax_cps / amax_cps2 * 1000;
  if (d < (double)vmax_cps * vmax_cps / amax_cps2) ideal_ms = 2 * __builtin_sqrt(d / amax_cps2) * 1000;
  CHECK(landed_at < ideal_ms * 1.05 + 5);
}

static void traj_respects_limits(void) {
  check_move(0, 10000, 2000, 5000);   /* trapezoid */
  check_move(0, 100, 2000, 5000);     /* triangle: never reaches vmax */
  check_move(500, -7000, 3000, 20000);
  check_move(0, 1, 1000, 1000);
  check_move(-100000, 1000000, 100000, 200000);
  check_move(0, 3, 10, 100000);       /* vmax below one step of acceleration */
}

/* A target that changes mid-move (ahead, behind, across the start): every tick within the velocity and acceleration
   limits, and the reference still lands exactly on the final target and stays there. */
static void check_retarget(int32_t start, int32_t t1, int switch_at, int32_t t2, int32_t vmax_cps, int32_t amax_cps2) {
  gng_traj_t t;
  gng_traj_limits(&t, vmax_cps, amax_cps2);
  gng_traj_start(&t, start, 0);
  double prev_v = 0, prev_pos = start;
  double vmax = vmax_cps * 1e-3, amax = amax_cps2 * 1e-6;
  int landed_at = -1;
  for (int i = 0; i < 200000; i++) {
    int32_t target = i < switch_at ? t1 : t2;
    gng_traj_step_position(&t, target, 0);
    double pos = t.pos + t.frac / 65536.0;
    double v = pos - prev_pos;
    if (v > vmax * 1.0001 + 1e-6 || -v > vmax * 1.0001 + 1e-6) {
      t_fail(__FILE__, __LINE__, "speed within the limit", (long long)(v * 1e6), i);
      return;
    }
    if (v - prev_v > amax * 1.0001 + 2e-5 || prev_v - v > amax * 1.0001 + 2e-5) {
      t_fail(__FILE__, __LINE__, "acceleration within the limit", (long long)((v - prev_v) * 1e9), i);
      return;
    }
    prev_v = v;
    prev_pos = pos;
    if (i >= switch_at && t.pos == t2 && t.frac == 0 && t.v_q16 == 0) {
      landed_at = i;
      break;
    }
  }
  CHECK(landed_at > 0);
  for (int i = 0; i < 10; i++) gng_traj_step_position(&t, t2, 0); /* and it stays */
  CHECK_EQ(t.pos, t2);
  CHECK_EQ(t.frac, 0);
  CHECK_EQ(t.v_q16, 0);
}

static void traj_retarget_mid_move(void) {
  check_retarget(0, 10000, 1500, 20000, 2000, 5000);    /* farther ahead while cruising */
  check_retarget(0, 10000, 1500, 6000, 2000, 5000);     /* nearer: must brake harder than planned, may pass it */
  check_retarget(0, 10000, 300, -3000, 2000, 5000);     /* behind the start while accelerating */
  check_retarget(0, -10000, 1500, -20000, 2000, 5000);  /* the same, negative direction */
  check_retarget(0, -10000, 1500, -6000, 2000, 5000);
  check_retarget(0, -10000, 300, 3000, 2000, 5000);
  check_retarget(500, 600, 40, 100000, 6000, 30000);    /* landing, then a long move (the benchmark's limits) */
  check_retarget(0, 2000000, 20000, -50000, 1000000, 1000); /* stopping zone beyond 32767 counts: the 64-bit path */
}

/* The bench's load: a target moving every tick; the reference follows within the limits and lands when it stops. */
static void traj_moving_target(void) {
  for (int dir = -1; dir <= 1; dir += 2) {
    gng_traj_t t;
    gng_traj_limits(&t, 6000, 30000);
    gng_traj_start(&t, 0, 0);
    int32_t amax = t.amax_q16, vmax = t.vmax_q16, prev = 0, target = 0;
    int ok = 1;
    for (int i = 0; i < 3000; i++) {
      if (i < 2000) target += dir * (1 + (i % 3)); /* 2000 counts/s, uneven steps */
      gng_traj_step_position(&t, target, 0);
      int32_t dv = t.v_q16 - prev;
      if (dv > amax || dv < -amax || t.v_q16 > vmax || t.v_q16 < -vmax) ok = 0;
      prev = t.v_q16;
    }
    CHECK(ok);
    CHECK_EQ(t.pos, target);
    CHECK_EQ(t.frac, 0);
    CHECK_EQ(t.v_q16, 0);
  }
}

/* The position step written plainly with 64-bit products (the stopping test as c * (c + a) <= 2a * dist): the
   firmware's step keeps the stopping distance of its last speed and updates it by additions, and must choose the
   same speed every tick. */
static int32_t ref_sub_sat(int32_t a, int32_t b) {
  int64_t r = (int64_t)a - b;
  return r > INT32_MAX ? INT32_MAX : r < INT32_MIN ? INT32_MIN : (int32_t)r;
}
static int ref_can_stop(int64_t c, int64_t a, uint64_t lim) { return c <= 0 || (uint64_t)(c * (c + a)) <= lim; }
static int32_t ref_choose(int32_t sv, int32_t a, int32_t vmax, uint64_t lim) {
  int32_t c1 = sv + a > vmax ? vmax : sv + a;
  if (sv < 0) return ref_can_stop(c1, a, lim) ? c1 : 0;
  int32_t c2 = sv > vmax ? vmax : sv;
  if (!ref_can_stop(c2, a, lim)) return sv - a;
  if (c1 != c2 && ref_can_stop(c1, a, lim)) return c1;
  return c2;
}
static void ref_step(gng_traj_t *t, int32_t target, uint16_t tf) {
  int32_t dc = ref_sub_sat(target, t->pos), v = t->v_q16, a = t->amax_q16, vmax = t->vmax_q16;
  int64_t d = (int64_t)dc * 65536 + tf - t->frac; /* the signed distance in Q16 */
  int neg;
  if (d > 0) neg = 0;
  else if (d < 0) neg = 1;
  else if (v == 0) return;
  else neg = v > 0;
  int32_t sv = neg ? -v : v, adc = dc < 0 ? (dc == INT32_MIN ? INT32_MAX : -dc) : dc, s_new;
  int64_t dist = d < 0 ? -d : d;
  if (adc > t->stop_zone) {
    s_new = sv + a > vmax ? vmax : sv + a;
  } else if (adc < 32767) {
    if (dist <= a && dist <= vmax && llabs(dist - sv) <= a) {
      t->pos = target;
      t->frac = tf;
      t->v_q16 = (int32_t)(neg ? -dist : dist);
      return;
    }
    s_new = ref_choose(sv, a, vmax, (uint64_t)(2 * (int64_t)a) * (uint64_t)dist);
  } else {
    s_new = ref_choose(sv, a, vmax, (uint64_t)(2 * (int64_t)a) * (uint64_t)dist);
  }
  t->v_q16 = neg ? -s_new : s_new;
  int32_t sum = (int32_t)t->frac + t->v_q16;
  t->pos += sum >> 16;
  t->frac = (uint16_t)(sum & 0xFFFF);
}

static uint64_t rnd_state = 88172645463325252ull;
static uint32_t rnd(void) { /* xorshift64: the same sequence on every run */
  rnd_state ^= rnd_state << 13;
  rnd_state ^= rnd_state >> 7;
  rnd_state ^= rnd_state << 17;
  return (uint32_t)rnd_state;
}

static void traj_matches_plain_reference(void) {
#define RND() rnd()
  long diffs = 0, steps = 0;
  for (int sc = 0; sc < 400; sc++) {
    int32_t vl = RND() % 4 == 0 ? 0 : (int32_t)(1 + RND() % (RND() % 2 ? 10000u : 2000000u));
    int32_t al = RND() % 5 == 0 ? 0 : (int32_t)(1 + RND() % (RND() % 2 ? 100000u : 5000000u));
    gng_traj_t t, r;
    gng_traj_limits(&t, vl, al);
    int32_t p0 = (int32_t)(RND() % 200000) - 100000, v0 = (int32_t)(RND() % 400000) - 200000;
    gng_traj_start(&t, p0, v0);
    r = t;
    int32_t target = p0, speed = (int32_t)(RND() % 9) - 4;
    uint16_t tf = 0; /* the target's fraction: whole counts in half the scenarios, 1/256 steps or any Q16 in the rest */
    int frac_kind = (int)(RND() % 4);
    int mode = (int)(RND() % 4);
    for (int i = 0; i < 5000; i++, steps++) {
      if (mode == 0 && RND() % 500 == 0) target = p0 + (int32_t)(RND() % 100000) - 50000;
      if (mode == 1) target += speed * (int32_t)(1 + RND() % 3); /* the bench's kind of moving target */
      if (mode == 2 && RND() % 50 == 0) target += (int32_t)(RND() % 2001) - 1000;
      if (mode == 3 && RND() % 1000 == 0) target = (int32_t)RND();
      if (RND() % 3000 == 0) { /* new limits mid-move: the kept stopping distance depends on a */
        int32_t v2 = (int32_t)(1 + RND() % 20000), a2 = (int32_t)(1 + RND() % 200000);
        gng_traj_limits(&t, v2, a2);
        gng_traj_limits(&r, v2, a2);
      }
      if (frac_kind == 2 && RND() % 7 == 0) tf = (uint16_t)((RND() & 0xFF) << 8);
      if (frac_kind == 3 && RND() % 7 == 0) tf = (uint16_t)RND();
      gng_traj_step_position(&t, target, tf);
      ref_step(&r, target, tf);
      if (t.pos != r.pos || t.frac != r.frac || t.v_q16 != r.v_q16) {
        if (!diffs) t_fail(__FILE__, __LINE__, "same reference as the 64-bit form", sc, i);
        diffs++;
        t.pos = r.pos, t.frac = r.frac, t.v_q16 = r.v_q16;
      }
    }
  }
#undef RND
  CHECK_EQ(diffs, 0);
  CHECK_EQ(steps, 400 * 5000);
}

/* A target between counts: the reference moves toward it from the first tick, within the limits, and lands on it
   exactly (whole part and fraction), from either side. */
static void traj_fractional_target(void) {
  gng_traj_t t;
  gng_traj_limits(&t, 2000, 5000);
  gng_traj_start(&t, 100, 0);
  gng_traj_step_position(&t, 100, 1u << 8); /* 1/256 count ahead */
  CHECK(t.v_q16 > 0 && (t.pos > 100 || t.frac > 0)); /* moved at once */
  int i;
  for (i = 0; i < 1000 && !(t.pos == 100 && t.frac == 256 && t.v_q16 == 0); i++) gng_traj_step_position(&t, 100, 1u << 8);
  CHECK(i < 1000);
  for (i = 0; i < 3000 && !(t.pos == 250 && t.frac == 0x8000 && t.v_q16 == 0); i++) {
    int32_t prev = t.v_q16;
    gng_traj_step_position(&t, 250, 0x8000);
    if (t.v_q16 - prev > t.amax_q16 || prev - t.v_q16 > t.amax_q16 || t.v_q16 > t.vmax_q16) break;
  }
  CHECK_EQ(t.pos, 250);
  CHECK_EQ(t.frac, 0x8000);
  CHECK_EQ(t.v_q16, 0);
  for (i = 0; i < 3000 && !(t.pos == -3 && t.frac == 0xC000 && t.v_q16 == 0); i++) gng_traj_step_position(&t, -3, 0xC000); /* -2.25 */
  CHECK_EQ(t.pos, -3);
  CHECK_EQ(t.frac, 0xC000);
  gng_traj_step_position(&t, -3, 0xC000);
  CHECK_EQ(t.v_q16, 0); /* and rests there */
}

/* The P term follows the rest of the error beyond the count (a reference between counts), the I term does not. */
static void pid_rest_of_error(void) {
  gng_pid_t p;
  gng_pid_config(&p, Q16(4.0), 0, 0, 0);
  CHECK_EQ(gng_pid_step(&p, 0, 128, 0, -1000, 1000), 2);    /* half a count at 4 permille/count */
  CHECK_EQ(gng_pid_step(&p, 0, -128, 0, -1000, 1000), -2);
  CHECK_EQ(gng_pid_step(&p, 10, 64, 0, -1000, 1000), 41);   /* 10.25 counts */
  CHECK_EQ(gng_pid_step(&p, 0, 0, 0, -1000, 1000), 0);
  gng_pid_t i;
  gng_pid_config(&i, 0, Q16(100.0), 0, 1000);
  for (int k = 0; k < 1000; k++) gng_pid_step(&i, 0, 127, 0, -1000, 1000);
  CHECK_EQ(i.i_acc_q16, 0); /* no integral of the rest: it cannot hunt between two counts */
  gng_pid_t big;
  gng_pid_config(&big, (int32_t)2000000000, 0, 0, 0); /* the largest gains: no overflow */
  CHECK_EQ(gng_pid_step(&big, 0, 127, 0, -1000, 1000), 1000);
  CHECK_EQ(gng_pid_step(&big, 0, -128, 0, -1000, 1000), -1000);
}

static void traj_unlimited_jumps(void) {
  gng_traj_t t;
  gng_traj_limits(&t, 0, 0);
  gng_traj_start(&t, 0, 0);
  gng_traj_step_position(&t, 500, 0);
  CHECK_EQ(t.pos, 500);
}

static void traj_target_reversal(void) {
  /* moving fast at +, target suddenly behind: brake within the acceleration limit, then come back */
  gng_traj_t t;
  gng_traj_limits(&t, 2000, 4000);
  gng_traj_start(&t, 0, 0);
  for (int i = 0; i < 600; i++) gng_traj_step_position(&t, 100000, 0);
  int32_t v0 = t.v_q16;
  CHECK(v0 > 0);
  int32_t amax = t.amax_q16, prev = v0;
  int ok = 1;
  for (int i = 0; i < 5000; i++) {
    gng_traj_step_position(&t, 0, 0);
    int32_t dv = t.v_q16 - prev;
    if (dv > amax || dv < -amax) ok = 0;
    prev = t.v_q16;
  }
  CHECK(ok);
  CHECK_EQ(t.pos, 0);
  CHECK_EQ(t.v_q16, 0);
}

static void traj_velocity_ramp(void) {
  gng_traj_t t;
  gng_traj_limits(&t, 0, 1000); /* 1000 counts/s^2 */
  gng_traj_start(&t, 0, 0);
  int32_t target = gng_cps_to_q16(500);
  for (int i = 0; i < 250; i++) gng_traj_step_velocity(&t, target);
  int32_t cps = gng_q16_to_cps(t.v_q16);
  CHECK(cps >= 245 && cps <= 250); /* half-way after 250 ms */
  for (int i = 0; i < 300; i++) gng_traj_step_velocity(&t, target);
  CHECK_EQ(t.v_q16, target);
  /* the velocity limit caps the setpoint */
  gng_traj_limits(&t, 300, 0);
  gng_traj_step_velocity(&t, target);
  CHECK_EQ(gng_q16_to_cps(t.v_q16), 299); /* 300 counts/s, rounded down */
}

static void unit_conversions(void) {
  CHECK_EQ(gng_cps_to_q16(1000), 65536);
  CHECK_EQ(gng_q16_to_cps(65536), 1000);
  CHECK_EQ(gng_cps_to_q16(-1000), -65536);
  CHECK_EQ(gng_cps_to_q16(2000000000), gng_cps_to_q16(1000000));
  /* q16 -> cps is floor(v * 1000 / 65536) over the whole int32 range */
  int ok = 1;
  for (int64_t v = -2147483648LL; v <= 2147483647LL; v += 65521 * 7 + 13) {
    int64_t n = v * 1000, want = n >= 0 ? n / 65536 : -((-n + 65535) / 65536);
    if (gng_q16_to_cps((int32_t)v) != want) ok = 0;
  }
  for (int32_t v = -70000; v <= 70000; v++) {
    int64_t n = (int64_t)v * 1000, want = n >= 0 ? n / 65536 : -((-n + 65535) / 65536);
    if (gng_q16_to_cps(v) != want) ok = 0;
  }
  CHECK(ok);
}

int main(void) {
  RUN(pid_proportional_and_clamp);
  RUN(pid_integral_rate);
  RUN(pid_anti_windup);
  RUN(pid_no_windup_against_limit);
  RUN(pid_derivative);
  RUN(traj_respects_limits);
  RUN(traj_retarget_mid_move);
  RUN(traj_moving_target);
  RUN(traj_matches_plain_reference);
  RUN(traj_fractional_target);
  RUN(pid_rest_of_error);
  RUN(traj_unlimited_jumps);
  RUN(traj_target_reversal);
  RUN(traj_velocity_ramp);
  RUN(unit_conversions);
  return t_summary("test_control");
}
