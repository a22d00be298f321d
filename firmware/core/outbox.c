/* MCU->host frames (see outbox.h). */
#include "outbox.h"
#include "crc16.h"
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
  return &frame_buffer(ob)[2 + ob->len];
}

void gng_outbox_commit(gng_outbox_t *ob, uint8_t n) {
  ob->len = (uint8_t)(ob->len + n);
}

void gng_outbox_flush(gng_outbox_t *ob, uint8_t ack_seq) {
  if (ob->len == 0 && !ob->ack_due) return;
  uint8_t total = (uint8_t)(ob->len + GNG_FRAME_MIN_BYTES);
  uint8_t *f = frame_buffer(ob);
  ob->len = 0;
  ob->ack_due = 0;
  ob->frame = 0;
  f[0] = total;
  f[1] = ack_seq;
  uint16_t crc = gng_crc16(f, (uint8_t)(total - 3));
  f[total - 3] = (uint8_t)(crc >> 8);
  f[total - 2] = (uint8_t)crc;
  f[total - 1] = GNG_FRAME_SYNC;
  hal_serial_tx_send(f, total);
}
