/* config_* messages (see config.h). Every check runs before anything is touched, so a refusal leaves no trace. */
#include "config.h"
#include "state.h"
#include "motor.h"
#include "servo.h"
#include "../hal/hal.h"

/* Who may hold a pin: a config message re-wiring channel (kind, index) may reuse that channel's own pins. */
enum { OWNER_MOTOR, OWNER_SERVO, OWNER_ANALOG, OWNER_INPUT };

static uint8_t motor_has_pin(const gng_motor_t *m, uint8_t pin) {
  return m->pwm_pin == pin || m->dir_pin == pin || m->dir2_pin == pin || m->enc_a_pin == pin ||
         m->enc_b_pin == pin || m->limit_neg_pin == pin || m->limit_pos_pin == pin;
}

static uint8_t pin_taken(uint8_t pin, uint8_t kind, uint8_t index) {
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++)
    if (!(kind == OWNER_MOTOR && i == index) && motor_has_pin(&gng.motor[i], pin)) return 1;
  for (uint8_t i = 0; i < GNG_MAX_SERVOS; i++)
    if (!(kind == OWNER_SERVO && i == index) && gng.servo[i].pin == pin) return 1;
  for (uint8_t i = 0; i < GNG_MAX_ANALOG; i++)
    if (!(kind == OWNER_ANALOG && i == index) && gng.analog_pin[i] == pin) return 1;
  for (uint8_t i = 0; i < GNG_MAX_INPUTS; i++)
    if (!(kind == OWNER_INPUT && i == index) && gng.input[i].pin == pin) return 1;
  return 0;
}

/* need: HAL_PIN_* capability the role requires (0 = any digital pin). */
static uint16_t check_pin(uint8_t pin, uint8_t need, uint8_t kind, uint8_t index) {
  uint8_t caps = hal_pin_caps(pin);
  if (!(caps & HAL_PIN_EXISTS)) return GNG_REFUSE(GNG_ERR_BAD_PIN, pin);
  if (caps & HAL_PIN_RESERVED) return GNG_REFUSE(GNG_ERR_PIN_IN_USE, pin); /* the UART has it */
  if ((need & HAL_PIN_PWM) && !(caps & HAL_PIN_PWM)) return GNG_REFUSE(GNG_ERR_NO_PWM_ON_PIN, pin);
  if ((need & HAL_PIN_IRQ) && !(caps & HAL_PIN_IRQ)) return GNG_REFUSE(GNG_ERR_NO_INTERRUPT_ON_PIN, pin);
  if ((need & HAL_PIN_ADC) && !(caps & HAL_PIN_ADC)) return GNG_REFUSE(GNG_ERR_NO_ADC_ON_PIN, pin);
  if (pin_taken(pin, kind, index)) return GNG_REFUSE(GNG_ERR_PIN_IN_USE, pin);
  return 0;
}

static void configured(void) {
  gng.faults &= (uint8_t)~(GNG_FAULT_UNCONFIGURED | GNG_FAULT_CONFIG_ERROR);
}

uint16_t gng_config_link(const gng_config_link_t *c) {
  /* The ranges are the message table's (GNG_MSG_<MSG>_<FIELD>_MIN/_MAX); a u16 or u8 cannot be below 0. */
  if (c->telemetry_hz > GNG_MSG_CONFIG_LINK_TELEMETRY_HZ_MAX) return GNG_REFUSE(GNG_ERR_BAD_VALUE, 0);
  if (c->status_div < GNG_MSG_CONFIG_LINK_STATUS_DIV_MIN) return GNG_REFUSE(GNG_ERR_BAD_VALUE, 0);
  gng.watchdog_ms = c->watchdog_ms ? c->watchdog_ms : GNG_DEFAULT_WATCHDOG_MS;
  gng.telemetry_hz = c->telemetry_hz;
  gng.status_div = c->status_div;
  gng.tel_phase = 0;
  gng.status_phase = 0;
  gng.faults &= (uint8_t)~GNG_FAULT_CONFIG_ERROR;
  return 0;
}

/* Release every pin of motor i (output first to 0, so the driver sees "coast" before its inputs float). */
static void motor_unwire(uint8_t i) {
  gng_motor_t *m = &gng.motor[i];
  gng_motor_safe(i);
  if (m->enc_a_pin != GNG_PIN_NONE) hal_encoder_detach(i);
  const uint8_t pins[7] = {m->pwm_pin, m->dir_pin, m->dir2_pin, m->enc_a_pin, m->enc_b_pin, m->limit_neg_pin,
                           m->limit_pos_pin};
  for (uint8_t k = 0; k < 7; k++)
    if (pins[k] != GNG_PIN_NONE) hal_gpio_release(pins[k]);
  m->pwm_pin = m->dir_pin = m->dir2_pin = GNG_PIN_NONE;
  m->enc_a_pin = m->enc_b_pin = m->limit_neg_pin = m->limit_pos_pin = GNG_PIN_NONE;
  m->limits = 0;
  hal_motor_bind(i, GNG_PIN_NONE, GNG_PIN_NONE, GNG_PIN_NONE);
}

uint16_t gng_config_motor(const gng_config_motor_t *c) {
  uint8_t i = c->index;
  if (i >= GNG_MAX_MOTORS) return GNG_REFUSE(GNG_ERR_BAD_INDEX, i);
  if (c->max_pwm_permille > GNG_MSG_CONFIG_MOTOR_MAX_PWM_PERMILLE_MAX) return GNG_REFUSE(GNG_ERR_BAD_VALUE, i);
  if ((c->enc_a_pin == GNG_PIN_NONE) != (c->enc_b_pin == GNG_PIN_NONE)) return GNG_REFUSE(GNG_ERR_BAD_VALUE, i);
  const uint8_t pins[7] = {c->pwm_pin, c->dir_pin, c->dir2_pin, c->enc_a_pin, c->enc_b_pin, c->limit_neg_pin,
                           c->limit_pos_pin};
  const uint8_t need[7] = {HAL_PIN_PWM, 0, 0, HAL_PIN_IRQ, HAL_PIN_IRQ, 0, 0};
  if (c->pwm_pin != GNG_PIN_NONE) {
    for (uint8_t k = 0; k < 7; k++) {
      if (pins[k] == GNG_PIN_NONE) continue;
      uint16_t r = check_pin(pins[k], need[k], OWNER_MOTOR, i);
      if (r) return r;
      for (uint8_t j = 0; j < k; j++)
        if (pins[j] == pins[k]) return GNG_REFUSE(GNG_ERR_PIN_IN_USE, pins[k]);
    }
  } else {
    for (uint8_t k = 1; k < 7; k++) /* no PWM pin means "unwire": nothing else may be given */
      if (pins[k] != GNG_PIN_NONE) return GNG_REFUSE(GNG_ERR_NO_PWM_ON_PIN, GNG_PIN_NONE);
  }

  gng_motor_t *m = &gng.motor[i];
  /* The same encoder wired the same way again (a host that reconnects re-sends its whole configuration) keeps the
     count: the joint's zero moves only by set_position (homing) or new encoder wiring. Zeroing it here shifted the
     host's joint frame by wherever the joint was at the reconnect, until a move home ran into a limit switch. */
  const uint8_t same_encoder = c->enc_a_pin != GNG_PIN_NONE && c->enc_a_pin == m->enc_a_pin && c->enc_b_pin == m->enc_b_pin &&
                               ((c->flags ^ m->flags) & GNG_MOTOR_FLAG_INVERT_ENCODER) == 0;
  const int32_t kept = same_encoder ? m->pos : 0;
  motor_unwire(i);
  m->flags = c->flags;
  m->max_pwm_permille = c->max_pwm_permille;
  m->pos = kept;
  m->vel_q4 = 0;
  m->vel_cps = 0;
  m->vel_prev_cps = 0;
  gng_traj_start(&m->traj, kept, 0);
  if (c->pwm_pin == GNG_PIN_NONE) return 0;
  m->pwm_pin = c->pwm_pin;
  m->dir_pin = c->dir_pin;
  m->dir2_pin = c->dir2_pin;
  hal_pwm_attach(m->pwm_pin);
  if (m->dir_pin != GNG_PIN_NONE) hal_gpio_output(m->dir_pin, 0);
  if (m->dir2_pin != GNG_PIN_NONE) hal_gpio_output(m->dir2_pin, 0);
  if (c->enc_a_pin != GNG_PIN_NONE) {
    m->enc_a_pin = c->enc_a_pin;
    m->enc_b_pin = c->enc_b_pin;
    hal_encoder_attach(i, m->enc_a_pin, m->enc_b_pin);
    m->enc_last = hal_encoder_raw(i);
  }
  /* Active-low switches close to ground, so they need the pull-up; active-high ones bring their own drive. */
  uint8_t pullup = (c->flags & GNG_MOTOR_FLAG_LIMIT_ACTIVE_LOW) != 0;
  m->limit_neg_pin = c->limit_neg_pin;
  m->limit_pos_pin = c->limit_pos_pin;
  if (m->limit_neg_pin != GNG_PIN_NONE) hal_gpio_input(m->limit_neg_pin, pullup);
  if (m->limit_pos_pin != GNG_PIN_NONE) hal_gpio_input(m->limit_pos_pin, pullup);
  hal_motor_bind(i, m->pwm_pin, m->dir_pin, m->dir2_pin);
  gng_motor_safe(i);
  configured();
  return 0;
}

uint16_t gng_config_pid(const gng_config_pid_t *c) {
  uint8_t i = c->index;
  if (i >= GNG_MAX_MOTORS) return GNG_REFUSE(GNG_ERR_BAD_INDEX, i);
  if (c->vel_limit_cps < 0 || c->accel_limit_cps2 < 0) return GNG_REFUSE(GNG_ERR_BAD_VALUE, i);
  gng_motor_t *m = &gng.motor[i];
  gng_pid_config(&m->pid, c->kp_q16, c->ki_q16, c->kd_q16, c->i_limit_permille);
  gng_traj_limits(&m->traj, c->vel_limit_cps, c->accel_limit_cps2);
  configured();
  return 0;
}

uint16_t gng_config_servo(const gng_config_servo_t *c) {
  uint8_t i = c->index;
  if (i >= GNG_MAX_SERVOS) return GNG_REFUSE(GNG_ERR_BAD_INDEX, i);
  if (c->pin != GNG_PIN_NONE) {
    if (c->min_us < GNG_MSG_CONFIG_SERVO_MIN_US_MIN || c->max_us > GNG_MSG_CONFIG_SERVO_MAX_US_MAX || c->min_us > c->max_us)
      return GNG_REFUSE(GNG_ERR_BAD_VALUE, i); /* min_us <= max_us also keeps each inside the other's range */
    if (c->default_us != 0 && (c->default_us < c->min_us || c->default_us > c->max_us))
      return GNG_REFUSE(GNG_ERR_BAD_VALUE, i);
    uint16_t r = check_pin(c->pin, 0, OWNER_SERVO, i);
    if (r) return r;
  }
  gng_servo_t *s = &gng.servo[i];
  if (s->pin != GNG_PIN_NONE) {
    hal_servo_detach(i);
    hal_gpio_release(s->pin);
  }
  s->pin = c->pin;
  s->min_us = c->min_us;
  s->max_us = c->max_us;
  s->default_us = c->default_us;
  s->pulse_us = 0;
  if (s->pin == GNG_PIN_NONE) return 0;
  hal_servo_attach(i, s->pin);
  gng_servo_default(i);
  configured();
  return 0;
}

uint16_t gng_config_analog(const gng_config_analog_t *c) {
  uint8_t i = c->index;
  if (i >= GNG_MAX_ANALOG) return GNG_REFUSE(GNG_ERR_BAD_INDEX, i);
  if (c->pin != GNG_PIN_NONE) {
    uint16_t r = check_pin(c->pin, HAL_PIN_ADC, OWNER_ANALOG, i);
    if (r) return r;
  }
  if (gng.analog_pin[i] != GNG_PIN_NONE) hal_adc_detach(i);
  gng.analog_pin[i] = c->pin;
  if (c->pin == GNG_PIN_NONE) return 0;
  hal_adc_attach(i, c->pin);
  configured();
  return 0;
}

uint16_t gng_config_input(const gng_config_input_t *c) {
  uint8_t i = c->index;
  if (i >= GNG_MAX_INPUTS) return GNG_REFUSE(GNG_ERR_BAD_INDEX, i);
  if (c->pin != GNG_PIN_NONE) {
    if (c->role > GNG_INPUT_ROLE_ESTOP) return GNG_REFUSE(GNG_ERR_BAD_VALUE, i);
    uint16_t r = check_pin(c->pin, 0, OWNER_INPUT, i);
    if (r) return r;
  }
  gng_input_t *in = &gng.input[i];
  if (in->pin != GNG_PIN_NONE) hal_gpio_release(in->pin);
  in->pin = c->pin;
  in->role = c->role;
  in->flags = c->flags;
  in->active = 0;
  if (in->pin == GNG_PIN_NONE) return 0;
  hal_gpio_input(in->pin, (c->flags & GNG_INPUT_FLAG_PULLUP) != 0);
  configured();
  return 0;
}
