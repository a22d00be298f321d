/* Telemetry and status frames (see telemetry.h). */
#include "telemetry.h"
#include "state.h"
#include "motor.h"
#include "../hal/hal.h"

static uint8_t *put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  return p + 2;
}

static uint8_t *put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
  return p + 4;
}

/* Written straight from the motor state at the generated field offsets (GNG_MSG_TELEMETRY_*_AT): at 1 kHz, going
   through gng_telemetry_t and gng_encode_telemetry() costs twice the cycles. test_link checks the bytes against
   gng_encode_telemetry(). */
void gng_telemetry_encode(uint8_t *p, uint32_t time_us) {
  uint8_t *f = p + 1; /* the fields, after the id */
  p[0] = GNG_MSG_TELEMETRY;
  put16(f + GNG_MSG_TELEMETRY_COUNTER_AT, gng.tel_counter);
  put32(f + GNG_MSG_TELEMETRY_TIME_US_AT, time_us);
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) {
    const gng_motor_t *m = &gng.motor[i];
    put32(f + GNG_MSG_TELEMETRY_COUNTS_AT + 4u * i, (uint32_t)m->pos);
    put16(f + GNG_MSG_TELEMETRY_VEL_CPS_AT + 2u * i, (uint16_t)m->vel_cps);
    put16(f + GNG_MSG_TELEMETRY_OUT_PERMILLE_AT + 2u * i, (uint16_t)m->out_permille);
  }
  f[GNG_MSG_TELEMETRY_FAULTS_AT] = (uint8_t)(gng.faults | (gng.overrun_pending ? GNG_FAULT_OVERRUN : 0));
}
/* The element sizes the writes above assume. */
_Static_assert(sizeof(((gng_telemetry_t *)0)->counts[0]) == 4 && sizeof(((gng_telemetry_t *)0)->vel_cps[0]) == 2 &&
                   sizeof(((gng_telemetry_t *)0)->out_permille[0]) == 2 && sizeof(((gng_telemetry_t *)0)->time_us) == 4,
               "telemetry field sizes changed: update gng_telemetry_encode()");

static void send_telemetry(uint32_t time_us) {
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_TELEMETRY_SIZE, gng.expected_seq);
  gng_telemetry_encode(p, time_us);
  gng_outbox_commit(&gng.out, 1 + GNG_MSG_TELEMETRY_SIZE);
  gng.tel_counter++;
  gng.overrun_pending = 0;
}

static void send_status(void) {
  gng_status_t s;
  s.counter = gng.status_counter++;
  s.inputs = 0;
  for (uint8_t i = 0; i < GNG_MAX_ANALOG; i++)
    s.analog[i] = gng.analog_pin[i] == GNG_PIN_NONE ? 0 : hal_adc_read(i);
  for (uint8_t i = 0; i < GNG_MAX_INPUTS; i++)
    if (gng.input[i].pin != GNG_PIN_NONE && gng.input[i].active) s.inputs |= (uint8_t)(1u << i);
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++)
    if (gng.motor[i].limits) s.inputs |= (uint8_t)(0x10u << i);
  s.overruns = gng.overruns;
  s.crc_errors = (uint16_t)(gng.rx.errors + gng.payload_errors);
  s.seq_errors = gng.seq_errors;
  for (uint8_t i = 0; i < GNG_MAX_SERVOS; i++) s.servo_us[i] = gng.servo[i].pulse_us;
  s.applied_frames = gng.applied_frames;
  s.applied_sum = ((uint32_t)gng.applied_sum2 << 16) | gng.applied_sum1;
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_STATUS_SIZE, gng.expected_seq);
  gng_outbox_commit(&gng.out, gng_encode_status(p, &s));
}

void gng_telemetry_tick(uint32_t time_us) {
  if (gng.telemetry_hz == 0) return;
  /* Rate accumulator: exact average rate for any 1 Hz..tick rate without a divider. */
  gng.tel_phase = (uint16_t)(gng.tel_phase + gng.telemetry_hz);
  if (gng.tel_phase < GNG_CONTROL_TICK_HZ) return;
  gng.tel_phase = (uint16_t)(gng.tel_phase - GNG_CONTROL_TICK_HZ);
  /* Never stall the control loop for telemetry: with the link saturated, skip this frame. Its counter still
     advances, so the host sees the gap as a lost frame. */
  if (gng_outbox_would_wait(&gng.out, 1u + GNG_MSG_TELEMETRY_SIZE)) {
    gng.tel_counter++;
    return;
  }
  send_telemetry(time_us);
  if (++gng.status_phase >= gng.status_div) {
    gng.status_phase = 0;
    if (gng_outbox_would_wait(&gng.out, 1u + GNG_MSG_STATUS_SIZE)) gng.status_counter++; /* skipped, like above */
    else send_status();
  }
}
