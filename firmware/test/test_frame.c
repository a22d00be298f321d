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

/* The fuzzer's find: a valid MCU frame whose bytes contain a frame-shaped run ending at one of its own 0x7E bytes
   (here its CRC low byte). The look-ahead took that inner "frame" and threw the real one away. In step (right after
   a valid frame) the candidate must be trusted until it completes. */
static void lookahead_never_cuts_a_valid_frame(void) {
  /* The exact bytes: BOOT event, then a status frame (counter 0x3d, crc_errors 16, seq_errors 8, overruns 3...) whose
     CRC is 0x697E, and bytes 14..29 of it form a valid 16-byte frame (seq 0, crc 0x0069) ending at that 0x7E. */
  static const uint8_t boot[] = {0x08, 0x00, 0x86, 0x01, 0x01, 0xb8, 0xcc, 0x7e};
  static const uint8_t status[] = {0x1f, 0x02, 0x83, 0x3d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00,
                                   0x08, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x69, 0x7e, 0x7e};
  CHECK_EQ(gng_crc16(status, sizeof status - 3), 0x697E);
  CHECK_EQ(gng_crc16(&status[14], 13), 0x0069);
  reset();
  push(boot, sizeof boot);
  push(status, sizeof status);
  CHECK_EQ(got, 2);
  CHECK_EQ(got_seq[1], 2);
  CHECK_EQ(got_len[1], sizeof status - 5);
  CHECK(memcmp(got_payload[1], &status[2], sizeof status - 5) == 0);
  CHECK_EQ(rx.errors, 0);

  /* The general case: any payload that carries a framed message ends at its 0x7E well before the outer frame does. */
  reset();
  uint8_t inner[64], outer[64], p[40], q[3] = {0x0F, 0, 0};
  size_t ni = t_frame(inner, 7, q, 1);
  p[0] = 0x0C;
  memcpy(&p[1], inner, ni);
  for (size_t i = 1 + ni; i < sizeof p; i++) p[i] = (uint8_t)i;
  size_t no = t_frame(outer, 3, p, sizeof p);
  push(inner, ni); /* in step from here on */
  for (int rep = 0; rep < 3; rep++) push(outer, no);
  CHECK_EQ(got, 4);
  for (int i = 1; i < 4; i++) {
    CHECK_EQ(got_seq[i], 3);
    CHECK_EQ(got_len[i], sizeof p);
  }
  CHECK_EQ(rx.errors, 0);
}

/* In step the look-ahead is off, so a frame cut short (a lost byte, a host restarted mid-frame) is held until bytes
   complete it or the line goes quiet; either way the frames behind it come through, and it is counted once. */
static void in_step_truncation_recovers(void) {
  uint8_t a[64], b[64], c[64], p[20];
  for (int i = 0; i < 20; i++) p[i] = (uint8_t)(i * 7);
  size_t na = t_frame(a, 1, p, 20), nb = t_frame(b, 2, p, 3), nc = t_frame(c, 3, p, 1);
  /* quiet line: gng_frame_rx_idle() gives the truncated frame up and finds the one behind it */
  reset();
  push(c, nc);
  push(a, na / 2);
  push(b, nb);
  gng_frame_rx_idle(&rx, on_frame, 0);
  CHECK_EQ(got, 2);
  CHECK_EQ(got_seq[1], 2);
  CHECK_EQ(rx.errors, 1);
  CHECK_EQ(rx.n, 0);
  push(c, nc); /* and in step afterwards */
  CHECK_EQ(got, 3);
  /* busy line: the bytes that follow complete the cut frame, it fails, and every frame behind its start comes
     through in order, without waiting for the line to go quiet */
  reset();
  push(c, nc);
  push(a, na / 2);
  for (int i = 0; i < 6; i++) push(b, nb);
  CHECK_EQ(got, 7);
  for (int i = 1; i < 7; i++) CHECK_EQ(got_seq[i], 2);
  CHECK_EQ(rx.errors, 1);
  /* a corrupted length byte, likewise */
  reset();
  push(c, nc);
  uint8_t bad[64];
  memcpy(bad, c, nc);
  bad[0] = 40;
  push(bad, nc);
  for (int i = 0; i < 6; i++) push(b, nb);
  CHECK_EQ(got, 7);
  CHECK_EQ(rx.errors, 1);
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
  RUN(lookahead_never_cuts_a_valid_frame);
  RUN(in_step_truncation_recovers);
  return t_summary("test_frame");
}
