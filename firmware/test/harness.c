/* Native test harness (see harness.h). */
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "frame_tx.h"
#include "frame_rx.h"
#include "app.h"
#include "../hal/hal.h"
#include "../hal/posix/hal_posix.h"

int t_failures;
static const char *current;
static int tests_run;

void t_fail(const char *file, int line, const char *what, long long a, long long b) {
  t_failures++;
  if (a == 0 && b == 0) fprintf(stderr, "FAIL %s: %s:%d: %s\n", current, file, line, what);
  else fprintf(stderr, "FAIL %s: %s:%d: %s (%lld vs %lld)\n", current, file, line, what, a, b);
}

void t_begin(const char *name) {
  current = name;
  tests_run++;
}

int t_summary(const char *suite) {
  printf("%s: %d tests, %s\n", suite, tests_run, t_failures ? "FAILED" : "ok");
  return t_failures ? 1 : 0;
}

/* ---- MCU -> host ---- */
#define MAX_MSGS 4096
static t_msg_t msgs[MAX_MSGS];
static int n_msgs;
int t_frames, t_empty_frames;
uint8_t t_last_ack;
static gng_frame_rx_t host_rx;

static void on_frame(void *ctx, uint8_t seq, const uint8_t *p, uint8_t n) {
  (void)ctx;
  t_frames++;
  t_last_ack = seq;
  if (n == 0) t_empty_frames++;
  for (uint8_t off = 0; off < n;) {
    int8_t size = gng_msg_size(p[off]);
    if (size < 0 || off + 1 + size > n) {
      fprintf(stderr, "FAIL %s: MCU sent an undecodable payload\n", current);
      t_failures++;
      return;
    }
    if (n_msgs == MAX_MSGS) memmove(msgs, msgs + MAX_MSGS / 2, sizeof msgs / 2), n_msgs = MAX_MSGS / 2;
    t_msg_t *m = &msgs[n_msgs++];
    m->ack = seq;
    m->id = p[off];
    memcpy(m->body, p + off + 1, (size_t)size);
    off = (uint8_t)(off + 1 + size);
  }
}

void t_collect(void) {
  uint8_t buf[512];
  size_t n;
  while ((n = hal_posix_take_tx(buf, sizeof buf)) > 0)
    for (size_t i = 0; i < n; i++) gng_frame_rx_push(&host_rx, buf[i], on_frame, 0);
}

int t_count(uint8_t id) {
  t_collect();
  int c = 0;
  for (int i = 0; i < n_msgs; i++) c += msgs[i].id == id;
  return c;
}

const t_msg_t *t_last(uint8_t id) {
  t_collect();
  for (int i = n_msgs - 1; i >= 0; i--)
    if (msgs[i].id == id) return &msgs[i];
  return NULL;
}

void t_forget(void) {
  t_collect();
  n_msgs = 0;
  t_frames = t_empty_frames = 0;
}

/* ---- firmware ---- */
uint8_t t_host_seq;

void t_boot(void) {
  hal_posix_serial_memory();
  hal_posix_manual_clock(1);
  hal_init();
  gng_init();
  gng_frame_rx_init(&host_rx);
  n_msgs = 0;
  t_frames = t_empty_frames = 0;
  t_host_seq = 0;
  t_collect();
}

void t_poll(void) {
  gng_poll();
  t_collect();
}

void t_run_ms(uint32_t ms) {
  while (ms--) {
    hal_posix_advance_us(1000);
    t_poll();
  }
}

size_t t_frame(uint8_t *out, uint8_t seq, const uint8_t *payload, uint8_t n) {
  memcpy(out + GNG_FRAME_PAYLOAD_AT, payload, n);
  return gng_frame_seal(out, n, seq);
}

void t_send_raw(const uint8_t *bytes, size_t n) {
  hal_posix_inject_rx(bytes, n);
  t_poll();
}

void t_send(const uint8_t *payload, uint8_t n) {
  uint8_t f[GNG_FRAME_MAX_BYTES];
  size_t len = t_frame(f, t_host_seq++, payload, n);
  t_send_raw(f, len);
}

void t_simple(uint8_t id) { t_send(&id, 1); }

void t_config_link(uint16_t watchdog_ms, uint16_t telemetry_hz, uint8_t status_div) {
  gng_config_link_t c = {watchdog_ms, telemetry_hz, status_div};
  uint8_t p[16];
  t_send(p, gng_encode_config_link(p, &c));
}

void t_config_motor(uint8_t index, uint8_t pwm, uint8_t dir, uint8_t dir2, uint8_t enc_a, uint8_t enc_b,
                    uint8_t lim_neg, uint8_t lim_pos, uint8_t flags, uint16_t max_pwm) {
  gng_config_motor_t c = {index, pwm, dir, dir2, enc_a, enc_b, lim_neg, lim_pos, flags, max_pwm};
  uint8_t p[16];
  t_send(p, gng_encode_config_motor(p, &c));
}

void t_config_pid(uint8_t index, int32_t kp_q16, int32_t ki_q16, int32_t kd_q16, uint16_t i_limit, int32_t vel_limit,
                  int32_t accel_limit) {
  gng_config_pid_t c = {index, kp_q16, ki_q16, kd_q16, i_limit, vel_limit, accel_limit};
  uint8_t p[32];
  t_send(p, gng_encode_config_pid(p, &c));
}

void t_config_input(uint8_t index, uint8_t pin, uint8_t role, uint8_t flags) {
  gng_config_input_t c = {index, pin, role, flags};
  uint8_t p[8];
  t_send(p, gng_encode_config_input(p, &c));
}

void t_config_servo(uint8_t index, uint8_t pin, uint16_t min_us, uint16_t max_us, uint16_t default_us) {
  gng_config_servo_t c = {index, pin, min_us, max_us, default_us};
  uint8_t p[16];
  t_send(p, gng_encode_config_servo(p, &c));
}

void t_set_motor(uint8_t index, uint8_t mode, int32_t value) {
  gng_set_motors_t c;
  memset(&c, 0, sizeof c);
  c.mode[index] = mode;
  c.value[index] = value;
  uint8_t p[32];
  t_send(p, gng_encode_set_motors(p, &c));
}

gng_telemetry_t t_telemetry(void) {
  gng_telemetry_t t;
  memset(&t, 0, sizeof t);
  const t_msg_t *m = t_last(GNG_MSG_TELEMETRY);
  CHECK(m != NULL);
  if (m) gng_decode_telemetry(m->body, &t);
  return t;
}

gng_status_t t_status(void) {
  gng_status_t s;
  memset(&s, 0, sizeof s);
  const t_msg_t *m = t_last(GNG_MSG_STATUS);
  CHECK(m != NULL);
  if (m) gng_decode_status(m->body, &s);
  return s;
}

const t_msg_t *t_last_error(void) { return t_last(GNG_MSG_ERROR); }
