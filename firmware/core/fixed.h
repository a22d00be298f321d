/* Small saturating integer helpers shared by the control code. */
#ifndef GNG_FIXED_H
#define GNG_FIXED_H
#include <stdint.h>

static inline int32_t gng_clamp32(int32_t x, int32_t lo, int32_t hi) {
  return x < lo ? lo : (x > hi ? hi : x);
}

static inline int32_t gng_abs32(int32_t x) {
  return x < 0 ? (x == INT32_MIN ? INT32_MAX : -x) : x;
}

/* a - b without wrapping: positions are int32 and a target may sit far from the current count. */
static inline int32_t gng_sub_sat32(int32_t a, int32_t b) {
  int32_t r = (int32_t)((uint32_t)a - (uint32_t)b);
  if ((b < 0 && r < a) || (b > 0 && r > a)) return b < 0 ? INT32_MAX : INT32_MIN;
  return r;
}

static inline int16_t gng_sat16(int32_t x) {
  return (int16_t)gng_clamp32(x, -32767, 32767);
}

#endif
