/* Safety paths (see safety.h). All of them end in gng_outputs_default(), within the tick that detects the cause. */
#include "safety.h"
#include "state.h"
#include "motor.h"
#include "servo.h"
#include "emit.h"
#include "../hal/hal.h"

void gng_outputs_default(void) {
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) gng_motor_safe(i);
  for (uint8_t i = 0; i < GNG_MAX_SERVOS; i++) gng_servo_default(i);
}

static void trip(uint8_t fault, uint8_t event) {
  gng.faults |= (uint8_t)(fault | GNG_FAULT_DISARMED);
  gng_outputs_default();
  gng_emit_event(event, 0);
}

/* The same latch as the e-stop input (cleared only by arm), and an ESTOP event for every e-stop frame: it is the
   host's confirmation, since an e-stop frame consumes no seq and so is never acked. */
void gng_estop(void) { trip(GNG_FAULT_ESTOP, GNG_EVENT_ESTOP); }

void gng_arm(void) {
  if (gng.estop_active) {
    gng_emit_error(GNG_ERR_BAD_VALUE, GNG_MSG_ARM, 0);
    return;
  }
  /* The e-stop latch clears only here, with its input released: releasing the button alone never re-enables. */
  gng.faults &= (uint8_t)~(GNG_FAULT_DISARMED | GNG_FAULT_WATCHDOG_TRIPPED | GNG_FAULT_ESTOP | GNG_FAULT_WDT_RESET);
  gng.last_rx_ms = hal_millis();
  gng_outputs_default(); /* start from OFF: a stale setpoint from before a trip must not resume by itself */
  gng_emit_event(GNG_EVENT_ARMED, 0);
}

void gng_disarm(void) {
  gng.faults |= GNG_FAULT_DISARMED;
  gng_outputs_default();
  gng_emit_event(GNG_EVENT_DISARMED, 0);
}

static uint8_t pin_active(uint8_t pin, uint8_t active_low) {
  return (uint8_t)(hal_gpio_read(pin) ^ (active_low ? 1u : 0u));
}

static void sample_inputs(void) {
  uint8_t estop = 0;
  for (uint8_t i = 0; i < GNG_MAX_INPUTS; i++) {
    gng_input_t *in = &gng.input[i];
    if (in->pin == GNG_PIN_NONE) continue;
    in->active = pin_active(in->pin, in->flags & GNG_INPUT_FLAG_ACTIVE_LOW);
    if (in->role == GNG_INPUT_ROLE_ESTOP && in->active) estop = 1;
  }
  if (estop && !gng.estop_active) trip(GNG_FAULT_ESTOP, GNG_EVENT_ESTOP); /* once per press */
  gng.estop_active = estop;
}

static void sample_limits(void) {
  uint8_t any = 0;
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) {
    gng_motor_t *m = &gng.motor[i];
    uint8_t now = 0, low = (m->flags & GNG_MOTOR_FLAG_LIMIT_ACTIVE_LOW) != 0;
    if (m->limit_neg_pin != GNG_PIN_NONE && pin_active(m->limit_neg_pin, low)) now |= GNG_LIMIT_NEG;
    if (m->limit_pos_pin != GNG_PIN_NONE && pin_active(m->limit_pos_pin, low)) now |= GNG_LIMIT_POS;
    if (now & (uint8_t)~m->limits) gng_emit_event(GNG_EVENT_LIMIT_HIT, i);
    m->limits = now;
    any |= now;
  }
  if (any) gng.faults |= GNG_FAULT_LIMIT;
  else gng.faults &= (uint8_t)~GNG_FAULT_LIMIT;
}

void gng_safety_tick(void) {
  sample_inputs();
  sample_limits();
  if (gng_armed() && (uint32_t)(hal_millis() - gng.last_rx_ms) > gng.watchdog_ms)
    trip(GNG_FAULT_WATCHDOG_TRIPPED, GNG_EVENT_WATCHDOG_TRIP);
}
