/* The frame encoder, written once: seals [len][seq][payload][crc_hi][crc_lo][SYNC] around a payload in place. */
#ifndef GNG_FRAME_TX_H
#define GNG_FRAME_TX_H
#include <stdint.h>
#include "gng_messages.h"

/* The payload is already at f + GNG_FRAME_PAYLOAD_AT (built in place: no copy). Writes the header and the trailer
   and returns the whole frame's length. payload_len <= GNG_FRAME_PAYLOAD_MAX_BYTES (the caller's invariant). */
uint8_t gng_frame_seal(uint8_t *f, uint8_t payload_len, uint8_t seq);

#endif
