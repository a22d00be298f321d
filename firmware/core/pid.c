/* Fixed-point PID (see pid.h). */
#include "pid.h"
#include "fixed.h"
#include "gng_messages.h"

static int32_t input_limit(int32_t k) {
  int32_t a = gng_abs32(k);
  return a <= 1 ? INT32_MAX : INT32_MAX / a;
}

/* ki [permille/(unit*s)] Q16 -> per 1 ms tick Q24: ki * 256 / 1000 = ki * 32 / 125, split so it never overflows. */
static int32_t ki_per_tick_q24(int32_t ki_q16) {
  int32_t q = ki_q16 / 125, r = ki_q16 % 125; /* |q| < 2^25, so q * 32 fits */
  return q * 32 + (r * 32) / 125;
}

void gng_pid_config(gng_pid_t *pid, int32_t kp_q16, int32_t ki_q16, int32_t kd_q16, uint16_t i_limit_permille) {
  pid->kp_q16 = kp_q16;
  pid->ki_tick_q24 = ki_per_tick_q24(ki_q16);
  pid->kd_q16 = kd_q16;
  pid->e_max_p = input_limit(kp_q16);
  pid->e_max_i = input_limit(pid->ki_tick_q24);
  pid->e_max_d = input_limit(kd_q16);
  /* An integral term beyond full scale only delays recovery from saturation. */
  uint16_t lim = i_limit_permille > GNG_MSG_CONFIG_PID_I_LIMIT_PERMILLE_MAX ? GNG_MSG_CONFIG_PID_I_LIMIT_PERMILLE_MAX
                                                                            : i_limit_permille;
  pid->i_limit_q16 = (int32_t)lim << 16;
  gng_pid_reset(pid);
}

void gng_pid_reset(gng_pid_t *pid) {
  pid->i_acc_q16 = 0;
}

GNG_HOT int16_t gng_pid_step(gng_pid_t *pid, int32_t e, int16_t e_rest_q8, int32_t de, int16_t out_min, int16_t out_max) {
  /* A zero gain's term is skipped, not multiplied (PI loops are common: the reference robot's kd is 0). */
  int32_t sum_q8 = pid->i_acc_q16 >> 8;
  /* Sum in Q8: three terms of up to 2^23 each cannot overflow, and a quarter-permille is plenty. */
  if (pid->kp_q16) {
    sum_q8 += gng_mul32(pid->kp_q16, gng_clamp32(e, -pid->e_max_p, pid->e_max_p)) >> 8;
    /* kp * rest / 256 in Q8 is kp_q16 * rest >> 16; kp_q16 >> 8 first keeps the product in 31 bits (|rest| <= 128) */
    if (e_rest_q8) sum_q8 += gng_mul32(pid->kp_q16 >> 8, e_rest_q8) >> 8;
  }
  if (pid->kd_q16) sum_q8 += gng_mul32(pid->kd_q16, gng_clamp32(de, -pid->e_max_d, pid->e_max_d)) >> 8;
  int32_t out = (sum_q8 + 128) >> 8;
  int32_t clamped = gng_clamp32(out, out_min, out_max);

  if (pid->ki_tick_q24) {
    int32_t inc = gng_mul32(pid->ki_tick_q24, gng_clamp32(e, -pid->e_max_i, pid->e_max_i)) >> 8;
    if (!((out > out_max && inc > 0) || (out < out_min && inc < 0))) {
      pid->i_acc_q16 = gng_clamp32(pid->i_acc_q16 + inc, -pid->i_limit_q16, pid->i_limit_q16);
    }
  }
  return (int16_t)clamped;
}
