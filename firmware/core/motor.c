/* DC motor channels (see motor.h). Runs at 1 kHz; kept to 32-bit multiplies because AVR has no 32-bit multiplier. */
#include "motor.h"
#include "state.h"
#include "fixed.h"
#include "../hal/hal.h"

void gng_motor_reset(uint8_t i) {
  gng_motor_t *m = &gng.motor[i];
  m->pwm_pin = m->dir_pin = m->dir2_pin = GNG_PIN_NONE;
  m->enc_a_pin = m->enc_b_pin = m->limit_neg_pin = m->limit_pos_pin = GNG_PIN_NONE;
  m->flags = 0;
  m->max_pwm_permille = 0;
  gng_pid_config(&m->pid, 0, 0, 0, 0);
  gng_traj_limits(&m->traj, 0, 0);
  gng_traj_start(&m->traj, 0, 0);
  m->mode = GNG_MODE_OFF;
  m->setpoint = 0;
  m->vel_in_cps = m->vel_in_q16 = 0; /* gng_cps_to_q16(0) == 0 */
  m->pos = 0;
  m->enc_last = 0;
  m->vel_q4 = 0;
  m->vel_cps = 0;
  m->vel_prev_cps = 0;
  m->out_permille = 0;
  m->limits = 0;
}

void gng_motor_safe(uint8_t i) {
  gng_motor_t *m = &gng.motor[i];
  m->mode = GNG_MODE_OFF;
  m->setpoint = 0;
  gng_pid_reset(&m->pid);
  if (m->pwm_pin == GNG_PIN_NONE) {
    m->out_permille = 0;
    return;
  }
  m->out_permille = 1; /* force the pins to be written even if the cache says 0 */
  gng_motor_output(i, 0);
}

int16_t gng_motor_vel_cps(uint8_t i) {
  return gng.motor[i].vel_cps;
}

/* Out of line: rare, and inlined its 64-bit products would make every 1 kHz set_motors save a dozen registers. */
static void __attribute__((noinline)) change_mode(gng_motor_t *m, uint8_t i, uint8_t mode) {
  /* Entering a closed-loop mode starts the reference where the motor is now: no jump (soft start). */
  gng_pid_reset(&m->pid);
  gng_traj_start(&m->traj, m->pos, gng_cps_to_q16(gng_motor_vel_cps(i)));
  m->mode = mode;
}

void gng_motor_set(uint8_t i, uint8_t mode, int32_t value) {
  gng_motor_t *m = &gng.motor[i];
  if (m->pwm_pin == GNG_PIN_NONE) return;
  if (mode > GNG_MODE_POSITION) mode = GNG_MODE_OFF; /* an unknown mode is the safe one */
  if (mode != m->mode) change_mode(m, i, mode);
  if (mode == GNG_MODE_VELOCITY) {
    /* velocity kept in per-tick units */
    if (value != m->vel_in_cps) {
      m->vel_in_cps = value;
      m->vel_in_q16 = gng_cps_to_q16(value);
    }
    value = m->vel_in_q16;
  }
  m->setpoint = value;
}

void gng_motor_set_position(uint8_t i, int32_t counts) {
  gng_motor_t *m = &gng.motor[i];
  int32_t shift = (int32_t)((uint32_t)counts - (uint32_t)m->pos);
  m->pos = counts;
  /* Shift the reference with the position so a running loop does not see a step (homing while holding). */
  m->traj.pos = (int32_t)((uint32_t)m->traj.pos + (uint32_t)shift);
  if (m->mode == GNG_MODE_POSITION) m->setpoint = (int32_t)((uint32_t)m->setpoint + ((uint32_t)shift << GNG_POSITION_FRAC_BITS));
}

/* Encoder delta -> 32-bit position and filtered velocity. */
static void measure(gng_motor_t *m, uint8_t i) {
  if (m->enc_a_pin == GNG_PIN_NONE) return; /* no encoder: position and velocity stay 0 */
  uint16_t raw = hal_encoder_raw(i);
  int16_t delta = (int16_t)(uint16_t)(raw - m->enc_last); /* 16-bit wrap is fine: < 32768 counts per ms */
  m->enc_last = raw;
  if (delta == 0 && m->vel_q4 == 0) return; /* at rest, the common case: nothing to update */
  if (m->flags & GNG_MOTOR_FLAG_INVERT_ENCODER) delta = (int16_t)-delta;
  m->pos = (int32_t)((uint32_t)m->pos + (uint32_t)(int32_t)delta);
  /* counts per 1 ms tick -> counts/s Q4 is * 16000: a 16x16-bit multiply, cheap on AVR. Clamped so the filter state
     stays far from overflow (2000 counts/ms is 2M counts/s, beyond any encoder we can decode). */
  if (delta > 2000) delta = 2000;
  if (delta < -2000) delta = -2000;
  int32_t raw_q4 = (int32_t)delta * (int16_t)16000;
  m->vel_q4 += (raw_q4 - m->vel_q4) >> GNG_VEL_FILTER_SHIFT;
  m->vel_cps = gng_sat16(m->vel_q4 >> 4);
}

/* The closed-loop modes, kept out of line so the common open-loop path stays short. */
static int32_t __attribute__((noinline)) GNG_HOT closed_loop(gng_motor_t *m) {
  int32_t e, de = 0; /* de is only worked out for a D term that is there */
  int16_t rest = 0;  /* [1/256 count] POSITION only */
  if (m->mode == GNG_MODE_VELOCITY) {
    gng_traj_step_velocity(&m->traj, m->setpoint);
    hal_serial_pump();
    e = gng_q16_to_cps(m->traj.v_q16) - m->vel_cps;
    /* D on measurement (minus the measured acceleration): no kick when the setpoint steps. */
    if (m->pid.kd_q16) de = ((int32_t)m->vel_prev_cps - m->vel_cps) * 1000;
  } else {
    /* the setpoint is counts Q24.8: the whole part and the fraction as the reference's Q16 */
    gng_traj_step_position(&m->traj, m->setpoint >> GNG_POSITION_FRAC_BITS,
                           (uint16_t)((uint32_t)m->setpoint << (16 - GNG_POSITION_FRAC_BITS)));
    hal_serial_pump(); /* the line must not run dry during a control step (see hal_serial_pump) */
    /* The error to the nearest count, and the reference's rest beyond it in 1/256 count (for P) */
    e = gng_sub_sat32(m->traj.pos, m->pos);
    rest = (int16_t)(m->traj.frac >> 8);
    if (rest >= 128) {
      rest -= 256;
      if (e != INT32_MAX) e++;
    }
    if (m->pid.kd_q16) de = gng_q16_to_cps(m->traj.v_q16) - m->vel_cps;
  }
  /* The output range, worked out after the reference so fewer values are live across it. */
  int16_t max = (int16_t)m->max_pwm_permille;
  int16_t out_max = (m->limits & GNG_LIMIT_POS) ? 0 : max;
  int16_t out_min = ((m->limits & GNG_LIMIT_NEG) || m->dir_pin == GNG_PIN_NONE) ? 0 : (int16_t)-max;
  return gng_pid_step(&m->pid, e, rest, de, out_min, out_max);
}

/* For out == m->out_permille: 1 if gng_motor_output(i, out) would leave everything as it is (out within the range
   it clamps to and not zeroed by a limit), so the call can be skipped. */
static inline uint8_t output_unchanged(const gng_motor_t *m, int32_t out) {
  if (out > 0) return !(m->limits & GNG_LIMIT_POS) && out <= (int16_t)m->max_pwm_permille;
  if (out < 0)
    return !(m->limits & GNG_LIMIT_NEG) && m->dir_pin != GNG_PIN_NONE && out >= -(int16_t)m->max_pwm_permille;
  return 1;
}

GNG_HOT void gng_motors_tick(void) {
  uint8_t armed = gng_armed();
  gng_motor_t *m = gng.motor;
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++, m++) {
    if (m->pwm_pin == GNG_PIN_NONE) continue;
    measure(m, i);
    int32_t out = 0;
    if (armed && m->mode != GNG_MODE_OFF) out = m->mode == GNG_MODE_PWM ? m->setpoint : closed_loop(m);
    m->vel_prev_cps = m->vel_cps;
    hal_serial_pump();
    if (out == m->out_permille && output_unchanged(m, out)) continue; /* pins already right (resting, or PWM held) */
    gng_motor_output(i, out);
  }
}

/* Direction pins: IN1 high = forward, IN2 (if wired) its complement; both low = coast at zero. */
static void set_direction(const gng_motor_t *m, int32_t out) {
  uint8_t fwd = out > 0;
  if (m->flags & GNG_MOTOR_FLAG_INVERT_DIR) fwd = !fwd;
  uint8_t in1 = out != 0 && fwd, in2 = out != 0 && !fwd;
  if (m->dir_pin != GNG_PIN_NONE) hal_gpio_write(m->dir_pin, in1);
  if (m->dir2_pin != GNG_PIN_NONE) hal_gpio_write(m->dir2_pin, in2);
}

void gng_motor_output(uint8_t i, int32_t out32) {
  gng_motor_t *m = &gng.motor[i];
  int16_t max = (int16_t)m->max_pwm_permille;
  int16_t out = (int16_t)gng_clamp32(out32, -max, max);
  if (out > 0 && (m->limits & GNG_LIMIT_POS)) out = 0; /* never drive into an active limit switch */
  if (out < 0 && ((m->limits & GNG_LIMIT_NEG) || m->dir_pin == GNG_PIN_NONE)) out = 0;
  if (out == m->out_permille) return; /* pins already right: saves I/O cycles at 1 kHz */
  int16_t prev = m->out_permille;
  m->out_permille = out;
  uint8_t same_side = (prev > 0 && out > 0) || (prev < 0 && out < 0);
  if (!same_side) {
    /* Cut the drive before flipping direction, so the bridge never sees full duty across a reversal. */
    hal_pwm_write(m->pwm_pin, 0);
    set_direction(m, out);
  }
  hal_pwm_write(m->pwm_pin, (uint16_t)(out < 0 ? -out : out));
}
