/* Applies the messages of one accepted, fully validated host payload, in order. */
#ifndef GNG_DISPATCH_H
#define GNG_DISPATCH_H
#include <stdint.h>

/* 0 if the payload is well formed (every id a known host message, every size exact); else (GNG_ERR_* << 8) | msg_id,
   with *bad_at set to the offending byte offset. */
uint16_t gng_payload_check(const uint8_t *payload, uint8_t len, uint8_t *bad_at);
/* 1 if the payload holds any message that is not a setpoint stream (it must then be answered at once). */
uint8_t gng_payload_needs_reply(const uint8_t *payload, uint8_t len);
void gng_dispatch(const uint8_t *payload, uint8_t len);
/* Applies one set_motors message; p points after its id (what gng_dispatch() does for it, without the decode). */
void gng_dispatch_set_motors(const uint8_t *p);

#endif
