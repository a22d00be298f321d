/* MCU->host frames (see outbox.h). */
#include "outbox.h"
#include "frame_tx.h"
#include "../hal/hal.h"

void gng_outbox_init(gng_outbox_t *ob) {
  ob->frame = 0;
  ob->len = 0;
  ob->ack_due = 0;
}

static uint8_t *frame_buffer(gng_outbox_t *ob) {
  if (!ob->frame) ob->frame = hal_serial_tx_frame();
  return ob->frame;
}

uint8_t gng_outbox_would_wait(const gng_outbox_t *ob, uint8_t n) {
  return (!ob->frame || (uint8_t)(ob->len + n) > GNG_PAYLOAD_MAX) && hal_serial_tx_busy();
}

uint8_t *gng_outbox_reserve(gng_outbox_t *ob, uint8_t n, uint8_t ack_seq) {
  if ((uint8_t)(ob->len + n) > GNG_PAYLOAD_MAX) gng_outbox_flush(ob, ack_seq);
  return &frame_buffer(ob)[GNG_FRAME_PAYLOAD_AT + ob->len];
}

void gng_outbox_commit(gng_outbox_t *ob, uint8_t n) {
  ob->len = (uint8_t)(ob->len + n);
}

void gng_outbox_flush(gng_outbox_t *ob, uint8_t ack_seq) {
  if (ob->len == 0 && !ob->ack_due) return;
  uint8_t *f = frame_buffer(ob);
  uint8_t total = gng_frame_seal(f, ob->len, ack_seq);
  ob->len = 0;
  ob->ack_due = 0;
  ob->frame = 0;
  hal_serial_tx_send(f, total);
}
