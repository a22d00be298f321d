/* Hobby servo channels (see servo.h). */
#include "servo.h"
#include "state.h"
#include "../hal/hal.h"

static void output(uint8_t i, uint16_t us) {
  gng_servo_t *s = &gng.servo[i];
  if (s->pin == GNG_PIN_NONE) return;
  s->pulse_us = us;
  hal_servo_write(i, us);
}

void gng_servo_default(uint8_t i) {
  output(i, gng.servo[i].default_us);
}

void gng_servo_set(uint8_t i, uint16_t pulse_us) {
  const gng_servo_t *s = &gng.servo[i];
  if (pulse_us != 0) {
    if (pulse_us < s->min_us) pulse_us = s->min_us;
    if (pulse_us > s->max_us) pulse_us = s->max_us;
  }
  output(i, pulse_us);
}
