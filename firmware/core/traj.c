/* Reference generator (see traj.h). Only moves near their end need a stopping test; it costs one or two 32x32->64
   products a tick (64-bit arithmetic is slow on AVR). */
#include "traj.h"
#include "fixed.h"

int32_t gng_q16_to_cps(int32_t v_q16) {
  /* floor(v * 1000 / 65536). Up to 2^21 (32 counts a tick) v * 1000 fits in 31 bits: one inline 32-bit product and
     byte moves. */
  if (v_q16 < (1L << 21) && v_q16 > -(1L << 21)) return gng_mul32(v_q16, 1000) >> 16;
  /* Beyond: whole part * 1000 + (fraction * 1000) >> 16, two 16x16-bit products and byte moves. (AVR shifts a 32-bit
     value by a constant that is not a multiple of 8 in a bit loop, ~70 cycles for >> 10.) */
  int16_t whole = (int16_t)(v_q16 >> 16); /* fits for any int32 */
  uint16_t frac = (uint16_t)v_q16;
  return (int32_t)whole * 1000 + (int32_t)(((uint32_t)frac * 1000u) >> 16);
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
  t->k_v = 0; /* K(c) depends on a */
}

void gng_traj_start(gng_traj_t *t, int32_t pos, int32_t v_q16) {
  t->pos = pos;
  t->frac = 0;
  t->v_q16 = gng_clamp32(v_q16, -t->vmax_q16, t->vmax_q16);
  t->k_v = 0;
}

static void integrate(gng_traj_t *t) {
  int32_t sum = (int32_t)t->frac + t->v_q16;
  t->pos += sum >> 16; /* arithmetic shift: floor, so the fraction stays in 0..65535 */
  t->frac = (uint16_t)(sum & 0xFFFF);
}

/* 64-bit values as two 32-bit halves: compared without a __cmpdi2 call. */
typedef struct {
  uint32_t lo, hi;
} u64pair_t;

/* x * y, 32x32->64 unsigned. avr-gcc 5.4 calls __umulsidi3 (~230 cycles with its helpers) or, when it can tell the
   operands are positive, a 64x64 __muldi3; this is 16 MULs with the carries, ~100 cycles. */
static inline __attribute__((always_inline)) u64pair_t umul32(uint32_t x, uint32_t y) {
  u64pair_t r;
#if defined(__AVR_HAVE_MUL__)
  uint8_t z;
  __asm__(
      /* the four diagonal products fill the result, the twelve cross products are added with their carries */
      "mul %A[x], %A[y]\n\t" "movw %A[lo], r0\n\t"
      "mul %B[x], %B[y]\n\t" "movw %C[lo], r0\n\t"
      "mul %C[x], %C[y]\n\t" "movw %A[hi], r0\n\t"
      "mul %D[x], %D[y]\n\t" "movw %C[hi], r0\n\t"
      "clr %[z]\n\t"
#define GNG_MUL_AT1(a, b) "mul " a ", " b "\n\t" "add %B[lo], r0\n\t" "adc %C[lo], r1\n\t" "adc %D[lo], %[z]\n\t" \
  "adc %A[hi], %[z]\n\t" "adc %B[hi], %[z]\n\t" "adc %C[hi], %[z]\n\t" "adc %D[hi], %[z]\n\t"
#define GNG_MUL_AT2(a, b) "mul " a ", " b "\n\t" "add %C[lo], r0\n\t" "adc %D[lo], r1\n\t" "adc %A[hi], %[z]\n\t" \
  "adc %B[hi], %[z]\n\t" "adc %C[hi], %[z]\n\t" "adc %D[hi], %[z]\n\t"
#define GNG_MUL_AT3(a, b) "mul " a ", " b "\n\t" "add %D[lo], r0\n\t" "adc %A[hi], r1\n\t" "adc %B[hi], %[z]\n\t" \
  "adc %C[hi], %[z]\n\t" "adc %D[hi], %[z]\n\t"
#define GNG_MUL_AT4(a, b) "mul " a ", " b "\n\t" "add %A[hi], r0\n\t" "adc %B[hi], r1\n\t" "adc %C[hi], %[z]\n\t" \
  "adc %D[hi], %[z]\n\t"
#define GNG_MUL_AT5(a, b) "mul " a ", " b "\n\t" "add %B[hi], r0\n\t" "adc %C[hi], r1\n\t" "adc %D[hi], %[z]\n\t"
      GNG_MUL_AT1("%A[x]", "%B[y]") GNG_MUL_AT1("%B[x]", "%A[y]")
      GNG_MUL_AT2("%A[x]", "%C[y]") GNG_MUL_AT2("%C[x]", "%A[y]")
      GNG_MUL_AT3("%A[x]", "%D[y]") GNG_MUL_AT3("%D[x]", "%A[y]") GNG_MUL_AT3("%B[x]", "%C[y]") GNG_MUL_AT3("%C[x]", "%B[y]")
      GNG_MUL_AT4("%B[x]", "%D[y]") GNG_MUL_AT4("%D[x]", "%B[y]")
      GNG_MUL_AT5("%C[x]", "%D[y]") GNG_MUL_AT5("%D[x]", "%C[y]")
#undef GNG_MUL_AT1
#undef GNG_MUL_AT2
#undef GNG_MUL_AT3
#undef GNG_MUL_AT4
#undef GNG_MUL_AT5
      "clr r1"
      : [lo] "=&r"(r.lo), [hi] "=&r"(r.hi), [z] "=&r"(z)
      : [x] "r"(x), [y] "r"(y)
      : "r0");
#else
  uint64_t p = (uint64_t)x * y;
  r.lo = (uint32_t)p;
  r.hi = (uint32_t)(p >> 32);
#endif
  return r;
}

/* [counts/s] -> [counts/tick Q16]: |cps| * 65536 / 1000 as a multiply by C = ceil(65.536 * 2^32), keeping the high
   word (no division: ~600 cycles on AVR, and this runs for every velocity setpoint). The constant's excess stays below
   1/125 of a unit up to 10^6 counts/s, less than the gap between exact results, so this is exactly the truncated
   quotient. C = 65 * 2^32 + 2302102471, so the product is mag * 65 plus the high word of one 32x32 product (the
   generic 64-bit multiply with its shift costs ~750 cycles on AVR, this ~150). */
int32_t gng_cps_to_q16(int32_t cps) {
  cps = gng_clamp32(cps, -GNG_VEL_MAX_CPS, GNG_VEL_MAX_CPS);
  uint32_t mag = (uint32_t)(cps < 0 ? -cps : cps);
  uint32_t q = mag * 65u + umul32(mag, 2302102471u).hi;
  return cps < 0 ? -(int32_t)q : (int32_t)q;
}

static inline uint8_t le64(u64pair_t x, u64pair_t y) {
  return x.hi < y.hi || (x.hi == y.hi && x.lo <= y.lo);
}

/* Can a speed c toward the target still stop within dist, given lim = 2 * a * dist (all Q16, per tick)?
   Decelerating by a per tick from c covers c + (c - a) + ... = (c^2 + c*a) / 2a. Monotone in c; c + a <= 2^27, so
   c * (c + a) fits in 54 bits. */
static inline __attribute__((always_inline)) uint8_t can_stop(int32_t c, int32_t a, u64pair_t lim) {
  return c <= 0 || le64(umul32((uint32_t)c, (uint32_t)(c + a)), lim);
}

/* The speed toward the target for this tick, given lim = 2 * a * dist. One product a tick in most cases: can_stop is
   monotone in c and c2 <= c1, so a c2 that cannot stop rules out c1 too (the same choice as testing c1, then c2, then
   decelerating). */
static inline __attribute__((always_inline)) int32_t choose(int32_t sv, int32_t a, int32_t vmax, u64pair_t lim) {
  int32_t c1 = sv + a > vmax ? vmax : sv + a; /* accelerate toward the target (or brake a motion away from it) */
  if (sv < 0) return can_stop(c1, a, lim) ? c1 : 0; /* moving away: brake, turn only if we can stop again */
  int32_t c2 = sv > vmax ? vmax : sv; /* hold the speed */
  if (!can_stop(c2, a, lim)) return sv - a; /* decelerate; if even this overshoots, the moving-away branch brings us back */
  if (c1 != c2 && can_stop(c1, a, lim)) return c1;
  return c2;
}

#define GNG_TRAJ_LAND INT32_MIN /* near_speed(): land on the target this tick */
#define GNG_TRAJ_K_HUGE UINT32_MAX /* stop_k(): the stopping distance is 2^32 - 1 or more (beyond any near dist) */

/* ceil(c * (c + a) / 2a) for c > 0: the stopping distance from c [counts Q16], exact, or GNG_TRAJ_K_HUGE. A
   restoring division, ~700 cycles; stop_k() needs it only when the speed jumps (a limit, a landing, a start). */
static uint32_t __attribute__((noinline)) stop_k_exact(int32_t c, int32_t a) {
  u64pair_t n = umul32((uint32_t)c, (uint32_t)(c + a));
  uint32_t d = 2u * (uint32_t)a; /* <= 2^27 */
  if (n.hi >= d) return GNG_TRAJ_K_HUGE; /* the quotient needs more than 32 bits */
  uint32_t rem = n.hi, q = 0, lo = n.lo;
  for (uint8_t i = 0; i < 32; i++) { /* rem < d <= 2^27: shifting it left never overflows */
    rem = (rem << 1) | (lo >> 31);
    lo <<= 1;
    q <<= 1;
    if (rem >= d) {
      rem -= d;
      q |= 1u;
    }
  }
  if (rem && q != GNG_TRAJ_K_HUGE) q++; /* ceil */
  return q;
}

/* The stopping distance K(c) = ceil(c * (c + a) / 2a) for c > 0, from the one the reference's last speed had. Along a
   step of +-a it changes by a whole number, K(c + a) = K(c) + c + a and K(c - a) = K(c) - c (the fraction of
   c * (c + a) / 2a stays the same), so the 1 kHz path needs no product: only a speed that jumps is worked out. Then
   "c can stop within dist" (c * (c + a) <= 2a * dist) is K(c) <= dist, dist being whole. */
static inline __attribute__((always_inline)) uint32_t stop_k(gng_traj_t *t, int32_t c, int32_t a) {
  uint32_t k = t->k_q;
  if (c == t->k_v) return k;
  if (k != GNG_TRAJ_K_HUGE && t->k_v > 0) {
    if (c == t->k_v + a) {
      uint32_t up = k + (uint32_t)c;
      return up < k || up == GNG_TRAJ_K_HUGE ? GNG_TRAJ_K_HUGE : up;
    }
    if (c == t->k_v - a) return k - (uint32_t)t->k_v;
  }
  return stop_k_exact(c, a);
}

/* choose() with the stopping test as K(c) <= dist: the same decisions (the same order of tests), and the K of the
   speed chosen is kept for the next tick. */
static inline __attribute__((always_inline)) int32_t choose_k(gng_traj_t *t, int32_t sv, uint32_t dist) {
  const int32_t a = t->amax_q16, vmax = t->vmax_q16;
  int32_t c1 = sv + a > vmax ? vmax : sv + a;
  if (sv < 0) {
    if (c1 <= 0) return c1;
    uint32_t k1 = stop_k(t, c1, a);
    if (k1 > dist) return 0;
    t->k_v = c1;
    t->k_q = k1;
    return c1;
  }
  int32_t c2 = sv > vmax ? vmax : sv;
  if (c2 <= 0) { /* sv == 0: c2 stops anywhere; c1 = min(a, vmax) > 0 */
    uint32_t k1 = stop_k(t, c1, a);
    if (c1 == c2 || k1 > dist) return c2;
    t->k_v = c1;
    t->k_q = k1;
    return c1;
  }
  uint32_t k2 = stop_k(t, c2, a);
  t->k_v = c2;
  t->k_q = k2;
  if (k2 > dist) return sv - a;
  if (c1 != c2) {
    uint32_t k1 = stop_k(t, c1, a);
    if (k1 <= dist) {
      t->k_v = c1;
      t->k_q = k1;
      return c1;
    }
  }
  return c2;
}

/* Near the target with the distance dist [counts Q16] in 32 bits (the common case). Out of line, so the caller keeps
   few values live (AVR has few registers for 32-bit values). */
static int32_t __attribute__((noinline)) GNG_HOT near_speed(gng_traj_t *t, int32_t sv, uint32_t dist) {
  const int32_t a = t->amax_q16, vmax = t->vmax_q16;
  /* land exactly: this step and the stop after it are each within one acceleration step */
  if (dist <= (uint32_t)a && dist <= (uint32_t)vmax && gng_abs32((int32_t)dist - sv) <= a) return GNG_TRAJ_LAND;
  return choose_k(t, sv, dist);
}

/* Long stopping zones (slow acceleration from high speed, |dc| >= 32767 counts): 64-bit, once per tick. Too far to
   land. */
static int32_t __attribute__((noinline)) far_speed(const gng_traj_t *t, int32_t sv, int32_t dc, int32_t df) {
  const int32_t a = t->amax_q16;
  int64_t d_q16 = (int64_t)dc * 65536 + df;
  uint64_t lim64 = 2u * (uint64_t)a * (uint64_t)(d_q16 < 0 ? -d_q16 : d_q16);
  u64pair_t lim = {(uint32_t)lim64, (uint32_t)(lim64 >> 32)};
  return choose(sv, a, t->vmax_q16, lim);
}

GNG_HOT void gng_traj_step_position(gng_traj_t *t, int32_t target, uint16_t target_frac) {
  int32_t dc = gng_sub_sat32(target, t->pos);
  int32_t df = (int32_t)target_frac - (int32_t)t->frac; /* |df| < 1 count: the whole part decides the direction */
  int32_t v = t->v_q16;
  uint8_t neg; /* the target is behind (direction -1) */
  if (dc > 0 || (dc == 0 && df > 0)) {
    neg = 0;
  } else if (dc < 0 || df < 0) {
    neg = 1;
  } else {
    if (v == 0) return; /* resting on the target: nothing to do */
    neg = v > 0; /* at the target but moving: the target is behind us */
  }
  int32_t sv = neg ? -v : v; /* speed toward the target; negative when moving away */
  int32_t adc = gng_abs32(dc);
  int32_t s_new;
  /* adc is within a count of the distance; stop_zone has that margin */
  if (adc > t->stop_zone) {
    int32_t a = t->amax_q16, vmax = t->vmax_q16;
    s_new = sv + a > vmax ? vmax : sv + a; /* far: full acceleration is always safe */
  } else if (adc < 32767) {
    /* |target - reference| in Q16: < 2^31 here */
    uint32_t dist = neg ? ((uint32_t)adc << 16) - (uint32_t)df : ((uint32_t)adc << 16) + (uint32_t)df;
    s_new = near_speed(t, sv, dist);
    if (s_new == GNG_TRAJ_LAND) {
      t->pos = target;
      t->frac = target_frac;
      t->v_q16 = neg ? -(int32_t)dist : (int32_t)dist;
      return;
    }
  } else {
    s_new = far_speed(t, sv, dc, df);
  }
  t->v_q16 = neg ? -s_new : s_new;
  integrate(t);
}

GNG_HOT void gng_traj_step_velocity(gng_traj_t *t, int32_t target_v_q16) {
  int32_t tv = gng_clamp32(target_v_q16, -t->vmax_q16, t->vmax_q16);
  int32_t dv = gng_clamp32(tv - t->v_q16, -t->amax_q16, t->amax_q16);
  t->v_q16 += dv;
  integrate(t);
}
