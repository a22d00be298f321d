/* Queue MCU->host messages (see emit.h). */
#include "emit.h"
#include "state.h"

void gng_emit_event(uint8_t code, uint8_t arg) {
  gng_event_t m = {code, arg};
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_EVENT_SIZE, gng.expected_seq);
  gng_outbox_commit(&gng.out, gng_encode_event(p, &m));
}

void gng_emit_error(uint8_t code, uint8_t msg_id, uint8_t arg) {
  gng_error_t m = {code, msg_id, arg};
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_ERROR_SIZE, gng.expected_seq);
  gng_outbox_commit(&gng.out, gng_encode_error(p, &m));
}

void gng_emit_nak(uint8_t seq) {
  gng_nak_t m = {seq};
  uint8_t *p = gng_outbox_reserve(&gng.out, 1 + GNG_MSG_NAK_SIZE, gng.expected_seq);
  gng_outbox_commit(&gng.out, gng_encode_nak(p, &m));
}
