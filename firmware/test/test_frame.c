/* CRC-16 and the streaming frame parser: known vector, resync after garbage, truncation and bit flips. */
#include <string.h>
#include "harness.h"
#include "crc16.h"
#include "frame_rx.h"

static int got;
static uint8_t got_seq[16], got_len[16], got_payload[16][64];

static void on_frame(void *ctx, uint8_t seq, const uint8_t *p, uint8_t n) {
  (void)ctx;
  if (got < 16) {
    got_seq[got] = seq;
    got_len[got] = n;
    memcpy(got_payload[got], p, n);
  }
  got++;
}

static gng_frame_rx_t rx;
static void reset(void) {
  gng_frame_rx_init(&rx);
  got = 0;
}
static void push(const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) gng_frame_rx_push(&rx, b[i], on_frame, 0);
}

static void crc_known_vector(void) {
  CHECK_EQ(gng_crc16((const uint8_t *)"123456789", 9), 0x6F91);
  CHECK_EQ(gng_crc16((const uint8_t *)"", 0), 0xFFFF);
}

static void frame_roundtrip(void) {
  reset();
  uint8_t f[64], p[3] = {0x0C, 1, 2};
  size_t n = t_frame(f, 42, p, 3);
  CHECK_EQ(n, 8);
  push(f, n);
  CHECK_EQ(got, 1);
  CHECK_EQ(got_seq[0], 42);
  CHECK_EQ(got_len[0], 3);
  CHECK(memcmp(got_payload[0], p, 3) == 0);
  CHECK_EQ(rx.errors, 0);
  /* an empty payload is a valid 5-byte frame (a pure ack) */
  n = t_frame(f, 1, p, 0);
  push(f, n);
  CHECK_EQ(got, 2);
  CHECK_EQ(got_len[1], 0);
}

static void resync_after_garbage(void) {
  /* Garbage whose bytes look like length bytes of long frames must not hold up a frame right after it. */
  const uint8_t garbage[][6] = {{0x00, 0xFF, 0x13}, {0x40, 0x40, 0x40, 0x40}, {0x7E, 0x05, 0x7E}, {0x3F}};
  const size_t glen[] = {3, 4, 3, 1};
  for (int g = 0; g < 4; g++) {
    reset();
    uint8_t f[64], p[1] = {0x01};
    size_t n = t_frame(f, 9, p, 1);
    push(garbage[g], glen[g]);
    push(f, n);
    CHECK_EQ(got, 1);
    CHECK_EQ(got_seq[0], 9);
    CHECK(rx.errors >= 1);
    /* and the stream is in step afterwards */
    push(f, n);
    CHECK_EQ(got, 2);
  }
}

static void resync_after_truncation(void) {
  reset();
  uint8_t a[64], b[64], p[20];
  for (int i = 0; i < 20; i++) p[i] = (uint8_t)(i * 7);
  size_t na = t_frame(a, 1, p, 20), nb = t_frame(b, 2, p, 3);
  push(a, na / 2); /* cut off half-way */
  push(b, nb);
  CHECK_EQ(got, 1);
  CHECK_EQ(got_seq[0], 2);
  CHECK_EQ(rx.errors, 1);
  push(a, na);
  CHECK_EQ(got, 2);
  CHECK_EQ(got_seq[1], 1);
}

static void bit_flips_are_dropped_and_counted(void) {
  uint8_t f[64], p[10] = {0x0C, 1, 2, 3, 4};
  size_t n = t_frame(f, 5, p, 5);
  for (size_t byte = 0; byte < n; byte++) {
    for (int bit = 0; bit < 8; bit++) {
      reset();
      uint8_t bad[64];
      memcpy(bad, f, n);
      bad[byte] ^= (uint8_t)(1u << bit);
      push(bad, n);
      push(f, n);
      /* the corrupt copy never comes through; the good one right after it does */
      int good = 0;
      for (int i = 0; i < got && i < 16; i++) good += got_seq[i] == 5 && got_len[i] == 5 && !memcmp(got_payload[i], p, 5);
      CHECK_EQ(got, 1);
      CHECK_EQ(good, 1);
      CHECK(rx.errors >= 1);
    }
  }
}

static void one_error_per_bad_frame(void) {
  reset();
  uint8_t f[64], p[8] = {0x0C, 9, 9, 9, 9};
  size_t n = t_frame(f, 3, p, 5);
  f[4] ^= 0x10;
  push(f, n);
  f[4] ^= 0x10;
  push(f, n);
  CHECK_EQ(got, 1);
  CHECK_EQ(rx.errors, 1);
}

static void back_to_back_frames(void) {
  reset();
  uint8_t buf[128], p[4] = {0x0F};
  size_t n = 0;
  for (int i = 0; i < 5; i++) n += t_frame(buf + n, (uint8_t)i, p, 1);
  push(buf, n);
  CHECK_EQ(got, 5);
  for (int i = 0; i < 5; i++) CHECK_EQ(got_seq[i], i);
  CHECK_EQ(rx.errors, 0);
}

static void random_noise_never_crashes(void) {
  reset();
  uint32_t x = 12345;
  for (int i = 0; i < 200000; i++) {
    x = x * 1103515245u + 12345u;
    uint8_t b = (uint8_t)(x >> 16);
    gng_frame_rx_push(&rx, b, on_frame, 0);
    CHECK(rx.n <= GNG_FRAME_MAX_BYTES);
  }
  uint8_t f[64], p[1] = {0x01};
  size_t n = t_frame(f, 77, p, 1);
  int before = got;
  push(f, n);
  CHECK(got >= before + 1);
}

int main(void) {
  RUN(crc_known_vector);
  RUN(frame_roundtrip);
  RUN(resync_after_garbage);
  RUN(resync_after_truncation);
  RUN(bit_flips_are_dropped_and_counted);
  RUN(one_error_per_bad_frame);
  RUN(back_to_back_frames);
  RUN(random_noise_never_crashes);
  return t_summary("test_frame");
}
