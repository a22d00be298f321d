/* The firmware's top level (see app.h). */
#include <string.h>
#include "app.h"
#include "state.h"
#include "link.h"
#include "motor.h"
#include "safety.h"
#include "telemetry.h"
#include "emit.h"
#include "../hal/hal.h"

gng_state_t gng;

void gng_init(void) {
  memset(&gng, 0, sizeof gng);
  gng_frame_rx_init(&gng.rx);
  gng_outbox_init(&gng.out);
  gng.watchdog_ms = GNG_DEFAULT_WATCHDOG_MS;
  gng.telemetry_hz = GNG_DEFAULT_TELEMETRY_HZ;
  gng.status_div = GNG_DEFAULT_STATUS_DIV;
  gng.reset_flags = hal_reset_flags();
  gng.faults = GNG_FAULT_DISARMED | GNG_FAULT_UNCONFIGURED;
  if (gng.reset_flags & HAL_RESET_WATCHDOG) gng.faults |= GNG_FAULT_WDT_RESET;
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) gng_motor_reset(i);
  for (uint8_t i = 0; i < GNG_MAX_SERVOS; i++) gng.servo[i].pin = GNG_PIN_NONE;
  for (uint8_t i = 0; i < GNG_MAX_ANALOG; i++) gng.analog_pin[i] = GNG_PIN_NONE;
  for (uint8_t i = 0; i < GNG_MAX_INPUTS; i++) gng.input[i].pin = GNG_PIN_NONE;
  hal_eeprom_read(GNG_NODE_ID_EEPROM_ADDR, gng.node_id, GNG_NODE_ID_BYTES);
  for (uint8_t i = 0; i < GNG_NODE_ID_BYTES; i++)
    if (gng.node_id[i] == 0xFF) gng.node_id[i] = 0; /* erased EEPROM reads 0xFF: never set */
  gng.last_rx_ms = hal_millis();
  (void)hal_ticks_take(); /* ticks that passed while booting are not overruns */
  gng_emit_event(GNG_EVENT_BOOT, gng.reset_flags);
  gng_flush();
}

void gng_flush(void) {
  if (gng.out.len == 0 && !gng.out.ack_due) return;
  gng_outbox_flush(&gng.out, gng.expected_seq);
  gng.lazy_ack = 0; /* every MCU->host frame acks */
}

void gng_rx_bytes(const uint8_t *buf, uint8_t n) {
  gng_frame_rx_push_bytes(&gng.rx, buf, n, gng_link_on_frame, 0);
  hal_serial_pump(); /* keep the line busy between received frames and the reply (see hal_serial_pump) */
  gng_flush(); /* answer now: a ping's round trip must not wait for the next tick */
}

uint8_t gng_rx_wanted(void) { return gng_frame_rx_wanted(&gng.rx); }

static void control_tick(uint8_t ticks) {
  uint32_t now_us = hal_micros();
  if (ticks > 1) {
    /* The previous step (or the loop around it) ran past the next tick: the period was missed. */
    gng.overruns = (uint16_t)(gng.overruns + (ticks - 1u));
    gng.overrun_pending = 1;
  }
  gng_safety_tick();
  gng_motors_tick();
  hal_adc_service();
  gng_telemetry_tick(now_us);
}

void gng_poll(void) {
  uint8_t buf[32];
  /* At most two chunks per iteration, so a byte flood cannot starve the control tick. */
  uint8_t got = 0;
  for (uint8_t k = 0; k < 2; k++) {
    uint8_t n = hal_serial_read(buf, sizeof buf);
    if (!n) break;
    got = 1;
    gng_rx_bytes(buf, n);
  }
  if (got) {
    gng.rx_byte_ms = hal_millis();
  } else if (gng.rx.n && (uint32_t)(hal_millis() - gng.rx_byte_ms) >= GNG_FRAME_IDLE_MS) {
    /* A frame cut short (a lost byte, a host that restarted mid-frame) and then silence: the parser only trusts an
       incomplete frame while bytes keep coming. */
    gng_frame_rx_idle(&gng.rx, gng_link_on_frame, 0);
  }
  uint8_t ticks = hal_ticks_take();
  if (ticks) {
    control_tick(ticks);
    /* A frame that arrived during the control step (an e-stop) is acted on now, before the frames just built are
       sealed (their CRCs take a few hundred cycles). */
    uint8_t n = hal_serial_read(buf, sizeof buf);
    if (n) {
      gng.rx_byte_ms = hal_millis();
      gng_rx_bytes(buf, n);
    }
  }
  gng_link_poll();
  gng_flush();
  hal_eeprom_service();
  hal_wdt_kick();
}
