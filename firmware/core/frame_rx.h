/* Streaming frame parser: [len][seq][payload][crc_hi][crc_lo][0x7E], resyncs after garbage one byte at a time. */
#ifndef GNG_FRAME_RX_H
#define GNG_FRAME_RX_H
#include <stdint.h>
#include "gng_messages.h"

/* Called for each valid frame; payload points into the parser's buffer and is valid only during the call. */
typedef void (*gng_frame_cb)(void *ctx, uint8_t seq, const uint8_t *payload, uint8_t payload_len);

typedef struct {
  uint8_t buf[GNG_FRAME_MAX_BYTES];
  uint8_t n;         /* bytes held */
  uint8_t skip;      /* bytes left of the last counted bad frame: resync probes inside it are not counted again */
  uint8_t in_junk;   /* inside a run of bytes that cannot start a frame (already counted once) */
  uint16_t errors;   /* bad CRC/SYNC/length stretches seen (status.crc_errors), wraps */
} gng_frame_rx_t;

void gng_frame_rx_init(gng_frame_rx_t *rx);
void gng_frame_rx_push(gng_frame_rx_t *rx, uint8_t byte, gng_frame_cb cb, void *ctx);

#endif
