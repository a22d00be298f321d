/* Fixed-point PID at 1 kHz with integral clamp and conditional integration (no windup while saturated). */
#ifndef GNG_PID_H
#define GNG_PID_H
#include <stdint.h>

typedef struct {
  int32_t kp_q16;      /* [permille/error unit] Q16.16 */
  int32_t ki_tick_q24; /* ki per 1 ms tick, Q8.24, so small gains keep their precision */
  int32_t kd_q16;      /* [permille/derivative unit] Q16.16 */
  /* Largest |input| whose product with the gain fits in int32. Beyond it the output saturates anyway, so clamping the
     input keeps the result exact where it matters without 64-bit multiplies (slow on AVR). */
  int32_t e_max_p, e_max_i, e_max_d;
  int32_t i_limit_q16; /* [permille Q16] bound of the integral term */
  int32_t i_acc_q16;   /* [permille Q16] integral term */
} gng_pid_t;

void gng_pid_config(gng_pid_t *pid, int32_t kp_q16, int32_t ki_q16, int32_t kd_q16, uint16_t i_limit_permille);
void gng_pid_reset(gng_pid_t *pid);
/*
 * One 1 ms step. e: error (P and I); e_rest_q8: the rest of the error beyond e, in 1/256 of e's unit (-128..127), for
 * the P term only (a position reference between encoder counts: the output follows it, while the integral works on
 * the nearest count and so never hunts between two); de: the D-term input; out_min..out_max: the allowed output
 * [permille] (asymmetric when a limit switch blocks one direction). The integral stops growing while the output is
 * clamped in the direction the error pushes, so it never winds up against a saturation or a limit.
 */
int16_t gng_pid_step(gng_pid_t *pid, int32_t e, int16_t e_rest_q8, int32_t de, int16_t out_min, int16_t out_max);

#endif
