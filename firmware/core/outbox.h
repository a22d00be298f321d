/* MCU->host frames: messages are queued into one payload and sent as a frame whose seq byte is the ack. */
#ifndef GNG_OUTBOX_H
#define GNG_OUTBOX_H
#include <stdint.h>
#include "gng_messages.h"

#define GNG_PAYLOAD_MAX GNG_FRAME_PAYLOAD_MAX_BYTES

typedef struct {
  uint8_t *frame;   /* the frame being built, in place in a hal TX buffer (no copy on send); 0 = none yet */
  uint8_t len;      /* payload bytes queued */
  uint8_t ack_due;  /* an (empty) frame must go out even with nothing queued */
} gng_outbox_t;

void gng_outbox_init(gng_outbox_t *ob);
/* Room for n bytes of message at the end of the payload, flushing first when it would not fit. */
uint8_t *gng_outbox_reserve(gng_outbox_t *ob, uint8_t n, uint8_t ack_seq);
void gng_outbox_commit(gng_outbox_t *ob, uint8_t n);
/* 1 if queueing n more bytes would have to wait for the link (telemetry then skips a frame instead). */
uint8_t gng_outbox_would_wait(const gng_outbox_t *ob, uint8_t n);
/* Send what is queued (or an empty ack frame if ack_due); seq = ack_seq, the next seq the MCU expects. */
void gng_outbox_flush(gng_outbox_t *ob, uint8_t ack_seq);

#endif
