/* Small saturating integer helpers shared by the control code. */
#ifndef GNG_FIXED_H
#define GNG_FIXED_H
#include <stdint.h>

/* The 1 kHz control path: -Os turns every 32-bit shift by a constant into a bit loop (~6 cycles a bit) on AVR;
   these few functions are built for speed instead. -O3 rather than -O2: ~0.8 points of CPU less in POSITION mode and
   2 in VELOCITY (bench 1), for 680 bytes of flash. */
#if defined(__AVR__)
#define GNG_HOT __attribute__((optimize("O3")))
#else
#define GNG_HOT
#endif

/* x * y, the low 32 bits (callers keep the product in range). On AVR 10 MULs inline, ~45 cycles: libgcc's
   __mulsi3 chain (__mulsi3 -> __muluhisi3 -> __umulhisi3) costs ~80 plus the registers a call clobbers. */
static inline int32_t gng_mul32(int32_t x, int32_t y) {
#if defined(__AVR_HAVE_MUL__)
  uint32_t r;
  uint8_t z;
  __asm__(
      "clr %[z]\n\t"
      "mul %A[x], %A[y]\n\t" "movw %A[r], r0\n\t"
      "mul %B[x], %B[y]\n\t" "movw %C[r], r0\n\t"
      "mul %A[x], %B[y]\n\t" "add %B[r], r0\n\t" "adc %C[r], r1\n\t" "adc %D[r], %[z]\n\t"
      "mul %B[x], %A[y]\n\t" "add %B[r], r0\n\t" "adc %C[r], r1\n\t" "adc %D[r], %[z]\n\t"
      "mul %A[x], %C[y]\n\t" "add %C[r], r0\n\t" "adc %D[r], r1\n\t"
      "mul %C[x], %A[y]\n\t" "add %C[r], r0\n\t" "adc %D[r], r1\n\t"
      "mul %A[x], %D[y]\n\t" "add %D[r], r0\n\t"
      "mul %D[x], %A[y]\n\t" "add %D[r], r0\n\t"
      "mul %B[x], %C[y]\n\t" "add %D[r], r0\n\t"
      "mul %C[x], %B[y]\n\t" "add %D[r], r0\n\t"
      "clr r1"
      : [r] "=&r"(r), [z] "=&r"(z)
      : [x] "r"(x), [y] "r"(y)
      : "r0");
  return (int32_t)r;
#else
  return (int32_t)((uint32_t)x * (uint32_t)y);
#endif
}

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
