/* Streaming frame parser (see frame_rx.h): a byte at a time, so it needs no buffer beyond one maximal frame. */
#include "frame_rx.h"
#include "crc16.h"

void gng_frame_rx_init(gng_frame_rx_t *rx) {
  rx->n = 0;
  rx->skip = 0;
  rx->in_junk = 0;
  rx->errors = 0;
}

static uint8_t frame_ok(const uint8_t *f, uint8_t len) {
  if (f[len - 1] != GNG_FRAME_SYNC) return 0;
  uint16_t crc = gng_crc16(f, (uint8_t)(len - 3));
  return f[len - 3] == (uint8_t)(crc >> 8) && f[len - 2] == (uint8_t)crc;
}

static void consume(gng_frame_rx_t *rx, uint8_t k) {
  for (uint8_t i = k; i < rx->n; i++) rx->buf[i - k] = rx->buf[i];
  rx->n = (uint8_t)(rx->n - k);
}

/* Drop one byte and retry: a frame may start anywhere after garbage, even before the next SYNC byte. */
static void drop_one(gng_frame_rx_t *rx) {
  if (rx->skip) rx->skip--;
  consume(rx, 1);
}

/* A complete candidate failed: count it once; candidates starting inside it are resync probes, not new errors. */
static void note_bad_frame(gng_frame_rx_t *rx, uint8_t len) {
  if (rx->skip == 0) {
    rx->errors++;
    rx->skip = len;
  }
  rx->in_junk = 0;
}

static void deliver(gng_frame_rx_t *rx, uint8_t at, uint8_t len, gng_frame_cb cb, void *ctx) {
  rx->skip = 0;
  rx->in_junk = 0;
  cb(ctx, rx->buf[at + 1], &rx->buf[at + 2], (uint8_t)(len - GNG_FRAME_MIN_BYTES));
}

/*
 * The candidate at buf[0] is still incomplete, but its length byte may be garbage (or a truncated frame) that would
 * make us wait for bytes that never come. If the byte just received is a SYNC that ends a valid frame starting later
 * in the buffer, take that frame now. Only frames ending at the newest byte need checking: earlier ends were checked
 * when their SYNC arrived. A false match needs length, SYNC and CRC to agree by chance (about 2^-24 per SYNC byte).
 */
static uint8_t lookahead(gng_frame_rx_t *rx, gng_frame_cb cb, void *ctx) {
  uint8_t n = rx->n;
  for (uint8_t k = 1; k + GNG_FRAME_MIN_BYTES <= n; k++) {
    uint8_t len = (uint8_t)(n - k);
    if (rx->buf[k] != len || !frame_ok(&rx->buf[k], len)) continue;
    if (rx->skip < k) rx->errors++; /* the truncated start before it, unless already counted */
    rx->n = 0; /* the frame ends at the newest byte, so after it the buffer is empty */
    deliver(rx, k, len, cb, ctx);
    return 1;
  }
  return 0;
}

void gng_frame_rx_push(gng_frame_rx_t *rx, uint8_t byte, gng_frame_cb cb, void *ctx) {
  if (rx->n >= GNG_FRAME_MAX_BYTES) drop_one(rx); /* cannot happen (a candidate is judged when complete); defensive */
  rx->buf[rx->n++] = byte;
  while (rx->n > 0) {
    uint8_t len = rx->buf[0];
    if (len < GNG_FRAME_MIN_BYTES || len > GNG_FRAME_MAX_BYTES) {
      if (rx->skip == 0 && !rx->in_junk) {
        rx->errors++;
        rx->in_junk = 1;
      }
      drop_one(rx);
      continue;
    }
    if (rx->n < len) {
      if (byte == GNG_FRAME_SYNC) lookahead(rx, cb, ctx);
      return;
    }
    if (frame_ok(rx->buf, len)) {
      /* Consume only after the callback: its payload pointer points into buf. */
      deliver(rx, 0, len, cb, ctx);
      consume(rx, len);
      continue;
    }
    note_bad_frame(rx, len);
    drop_one(rx);
  }
}
