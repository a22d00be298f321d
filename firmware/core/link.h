/* Host->MCU sequencing (Klipper-style seq/ack), payload validation, and acks (prompt or lazy). */
#ifndef GNG_LINK_H
#define GNG_LINK_H
#include <stdint.h>

/* The frame parser's callback: one CRC-valid frame from the host. */
void gng_link_on_frame(void *ctx, uint8_t seq, const uint8_t *payload, uint8_t payload_len);
/* Once per main loop: sends the lazy ack of a stream-only frame if no telemetry carried it in time. */
void gng_link_poll(void);

#endif
