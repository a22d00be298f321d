/* Streaming frame parser (see frame_rx.h): a byte at a time, so it needs no buffer beyond one maximal frame. */
#include <string.h>
#include "frame_rx.h"
#include "crc16.h"

void gng_frame_rx_init(gng_frame_rx_t *rx) {
  rx->n = 0;
  rx->skip = 0;
  rx->in_junk = 0;
  rx->errors = 0;
  rx->synced = 0; /* we may have started listening in the middle of a frame */
  rx->rescan = 0;
}

static uint8_t frame_ok(const uint8_t *f, uint8_t len) {
  if (f[len - 1] != GNG_FRAME_SYNC) return 0;
  uint8_t crc_at = (uint8_t)(len - GNG_FRAME_TRAILER_BYTES);
  uint16_t crc = gng_crc16(f, crc_at);
  return f[crc_at] == (uint8_t)(crc >> 8) && f[crc_at + 1] == (uint8_t)crc;
}

static void consume(gng_frame_rx_t *rx, uint8_t k) {
  for (uint8_t i = k; i < rx->n; i++) rx->buf[i - k] = rx->buf[i];
  rx->n = (uint8_t)(rx->n - k);
}

/* Out of step: the candidate at buf[0] may be garbage. Frames inside the buffer whose SYNC arrived while we were in
   step were not looked for yet, so the next look-ahead checks every end, not only the newest byte. */
static void lose_step(gng_frame_rx_t *rx) {
  if (rx->synced) rx->rescan = 1;
  rx->synced = 0;
}

/* Drop one byte and retry: a frame may start anywhere after garbage, even before the next SYNC byte. */
static void drop_one(gng_frame_rx_t *rx) {
  if (rx->skip) rx->skip--;
  lose_step(rx);
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

/* A valid frame at buf[at]: the byte after it starts the next frame, so we are in step again. */
static void deliver(gng_frame_rx_t *rx, uint8_t at, uint8_t len, gng_frame_cb cb, void *ctx) {
  rx->skip = 0;
  rx->in_junk = 0;
  rx->synced = 1;
  rx->rescan = 0;
  cb(ctx, rx->buf[at + 1], &rx->buf[at + 2], (uint8_t)(len - GNG_FRAME_MIN_BYTES));
}

/*
 * Out of step, the candidate at buf[0] is still incomplete, but its length byte may be garbage (or a truncated frame)
 * that would make us wait for bytes that never come. If a valid frame starting later in the buffer ends at a SYNC
 * byte at or after `first_end`, take the earliest-ending one now (and drop what precedes it). Normally only the newest
 * byte needs checking, because earlier ends were checked when their SYNC arrived. A false match needs length, SYNC
 * and CRC to agree by chance (about 2^-24 per SYNC byte), which is why this never runs in step: there the candidate is
 * a real frame unless proven otherwise, and a match inside it would cut a valid frame (a telemetry frame whose CRC
 * low byte is 0x7E and whose payload happens to hold a "frame" ending there, for instance).
 */
static uint8_t lookahead(gng_frame_rx_t *rx, uint8_t first_end, gng_frame_cb cb, void *ctx) {
  for (uint8_t end = first_end; end <= rx->n; end++) {
    if (rx->buf[end - 1] != GNG_FRAME_SYNC) continue;
    for (uint8_t k = 1; k + GNG_FRAME_MIN_BYTES <= end; k++) {
      uint8_t len = (uint8_t)(end - k);
      if (rx->buf[k] != len || !frame_ok(&rx->buf[k], len)) continue;
      if (rx->skip < k) rx->errors++; /* the truncated start before it, unless already counted */
      /* Consume only after the callback: its payload pointer points into buf. */
      deliver(rx, k, len, cb, ctx);
      consume(rx, end);
      return 1;
    }
  }
  return 0;
}

/* Judge the candidates in the buffer until one needs more bytes. */
static void scan(gng_frame_rx_t *rx, gng_frame_cb cb, void *ctx) {
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
      if (rx->synced) return; /* in step: a real frame still arriving; gng_frame_rx_idle() ends the wait if not */
      if (rx->rescan) {
        if (lookahead(rx, 1 + GNG_FRAME_MIN_BYTES, cb, ctx)) continue;
        rx->rescan = 0; /* every end in the buffer is checked now */
        return;
      }
      if (rx->buf[rx->n - 1] == GNG_FRAME_SYNC && lookahead(rx, rx->n, cb, ctx)) continue;
      return;
    }
    if (frame_ok(rx->buf, len)) {
      deliver(rx, 0, len, cb, ctx);
      consume(rx, len);
      continue;
    }
    note_bad_frame(rx, len);
    drop_one(rx);
  }
}

void gng_frame_rx_push(gng_frame_rx_t *rx, uint8_t byte, gng_frame_cb cb, void *ctx) {
  if (rx->n >= GNG_FRAME_MAX_BYTES) drop_one(rx); /* cannot happen (a candidate is judged when complete); defensive */
  rx->buf[rx->n++] = byte;
  scan(rx, cb, ctx);
}

void gng_frame_rx_push_bytes(gng_frame_rx_t *rx, const uint8_t *bytes, uint8_t n, gng_frame_cb cb, void *ctx) {
  while (n) {
    uint8_t k = gng_frame_rx_room(rx);
    if (k) {
      if (k > n) k = n;
      memcpy(&rx->buf[rx->n], bytes, k);
      gng_frame_rx_stored(rx, k);
      bytes += k;
      n = (uint8_t)(n - k);
      continue;
    }
    gng_frame_rx_push(rx, *bytes++, cb, ctx);
    n--;
  }
}

void gng_frame_rx_idle(gng_frame_rx_t *rx, gng_frame_cb cb, void *ctx) {
  if (rx->n == 0) return;
  /* The line went quiet with a candidate incomplete: it was cut short (a lost byte, a corrupted length byte, a sender
     that reset mid-frame). Count it, and look for frames behind its start, as if it had failed its CRC. */
  note_bad_frame(rx, rx->buf[0]);
  drop_one(rx);
  scan(rx, cb, ctx);
}
