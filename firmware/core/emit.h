/* Queue MCU->host messages (events, errors, NAKs) into the outbox. */
#ifndef GNG_EMIT_H
#define GNG_EMIT_H
#include <stdint.h>

void gng_emit_event(uint8_t code, uint8_t arg);
void gng_emit_error(uint8_t code, uint8_t msg_id, uint8_t arg);
void gng_emit_nak(uint8_t seq);

#endif
