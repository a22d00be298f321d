/* libFuzzer target: arbitrary host bytes through the frame parser, sequencing and dispatch (posix hal, no pty).
   Besides crashes and sanitizer reports it aborts when an invariant breaks: every MCU frame must decode, and no motor
   may be driven while disarmed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "frame_rx.h"
#include "state.h"
#include "../hal/hal.h"
#include "../hal/posix/hal_posix.h"

static gng_frame_rx_t host_rx;

static void check_mcu_frame(void *ctx, uint8_t seq, const uint8_t *p, uint8_t n) {
  (void)ctx;
  (void)seq;
  for (uint8_t off = 0; off < n;) {
    int8_t size = gng_msg_size(p[off]);
    if (size < 0 || !(p[off] & 0x80u) || off + 1 + size > n) abort(); /* the MCU sent something undecodable */
    off = (uint8_t)(off + 1 + size);
  }
}

static void drain_and_check(void) {
  uint8_t buf[1024];
  size_t n;
  uint16_t before = host_rx.errors;
  while ((n = hal_posix_take_tx(buf, sizeof buf)) > 0)
    for (size_t i = 0; i < n; i++) gng_frame_rx_push(&host_rx, buf[i], check_mcu_frame, 0);
  if (host_rx.errors != before) abort(); /* a corrupt MCU->host frame */
  if (!gng_armed())
    for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++)
      if (gng.motor[i].out_permille != 0) abort(); /* outputs must be at their defaults while disarmed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  hal_posix_serial_memory();
  hal_posix_manual_clock(1);
  hal_init();
  gng_init();
  gng_frame_rx_init(&host_rx);
  drain_and_check();
  /* Feed in chunks; between chunks let 0..3 ms pass so ticks, telemetry and watchdogs run too. */
  size_t off = 0;
  while (off < size) {
    size_t chunk = 1 + (data[off] % 24u);
    if (chunk > size - off) chunk = size - off;
    hal_posix_inject_rx(data + off, chunk);
    hal_posix_advance_us((uint32_t)(data[off] >> 6) * 1000u);
    off += chunk;
    gng_poll();
    drain_and_check();
  }
  for (int i = 0; i < 150; i++) { /* long enough for the link watchdog to trip */
    hal_posix_advance_us(1000);
    gng_poll();
    drain_and_check();
  }
  return 0;
}
