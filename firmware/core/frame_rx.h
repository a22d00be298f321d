/* Streaming frame parser: [len][seq][payload][crc_hi][crc_lo][0x7E], resyncs after garbage one byte at a time.
   Out of step (at start, after garbage) a valid frame ending at a newly received SYNC byte is taken at once even
   while an earlier candidate is incomplete (its length byte may be garbage). In step (right after a valid frame) the
   candidate is trusted until it completes with a bad CRC or the line goes quiet: a look-ahead there could cut a valid
   frame that merely contains a frame-shaped run of bytes ending at a 0x7E. */
#ifndef GNG_FRAME_RX_H
#define GNG_FRAME_RX_H
#include <stdint.h>
#include "gng_messages.h"

/* [ms] a held incomplete frame is given up after this long without a received byte (a frame from the host arrives
   in one piece; USB-serial adapters split it at most by a 1 ms USB frame). */
#define GNG_FRAME_IDLE_MS 5u

/* Called for each valid frame; payload points into the parser's buffer and is valid only during the call. */
typedef void (*gng_frame_cb)(void *ctx, uint8_t seq, const uint8_t *payload, uint8_t payload_len);

typedef struct {
  uint8_t buf[GNG_FRAME_MAX_BYTES];
  uint8_t n;         /* bytes held */
  uint8_t skip;      /* bytes left of the last counted bad frame: resync probes inside it are not counted again */
  uint8_t in_junk;   /* inside a run of bytes that cannot start a frame (already counted once) */
  uint8_t synced;    /* in step: buf[0] directly follows a valid frame, so it is taken to start a real one */
  uint8_t rescan;    /* just fell out of step: frame ends inside the buffer have not been looked for yet */
  uint16_t errors;   /* bad CRC/SYNC/length stretches seen (status.crc_errors), wraps */
} gng_frame_rx_t;

void gng_frame_rx_init(gng_frame_rx_t *rx);
void gng_frame_rx_push(gng_frame_rx_t *rx, uint8_t byte, gng_frame_cb cb, void *ctx);
/* The same as gng_frame_rx_push() on each of n bytes in order, but the bytes of an in-step frame that is still
   arriving are copied at once instead of being judged one at a time (scan() would only wait for them). */
/* How many more bytes the parser needs before it can do anything but store them: the rest of an in-step frame that
   is still arriving, else 1. */
static inline uint8_t gng_frame_rx_wanted(const gng_frame_rx_t *rx) {
  if (rx->synced && rx->n) {
    uint8_t len = rx->buf[0];
    if (len >= GNG_FRAME_MIN_BYTES && len <= GNG_FRAME_MAX_BYTES && rx->n < len) return (uint8_t)(len - rx->n);
  }
  return 1;
}
/* Bytes that may be stored straight into buf[n..] (then counted with gng_frame_rx_stored()), the same as pushing
   them: all but the last of an in-step frame still arriving, for which scan() would only wait. 0 otherwise. */
static inline uint8_t gng_frame_rx_room(const gng_frame_rx_t *rx) {
  uint8_t have = rx->n;
  if (rx->synced && have) {
    uint8_t len = rx->buf[0];
    if (len >= GNG_FRAME_MIN_BYTES && len <= GNG_FRAME_MAX_BYTES && have < (uint8_t)(len - 1u))
      return (uint8_t)(len - 1u - have);
  }
  return 0;
}
static inline void gng_frame_rx_stored(gng_frame_rx_t *rx, uint8_t k) { rx->n = (uint8_t)(rx->n + k); }
void gng_frame_rx_push_bytes(gng_frame_rx_t *rx, const uint8_t *bytes, uint8_t n, gng_frame_cb cb, void *ctx);
/* The line has been quiet for a while (GNG_FRAME_IDLE_MS) with bytes held: the incomplete candidate was cut short.
   Drops it and delivers any valid frame behind its start. */
void gng_frame_rx_idle(gng_frame_rx_t *rx, gng_frame_cb cb, void *ctx);

#endif
