/* The frame encoder (see frame_tx.h); used by the outbox, the native test harness and the fuzzer's seed writer. */
#include "frame_tx.h"
#include "crc16.h"

_Static_assert(GNG_FRAME_MIN_BYTES == GNG_FRAME_HEADER_BYTES + GNG_FRAME_TRAILER_BYTES, "frame overhead");
_Static_assert(GNG_FRAME_TRAILER_BYTES == GNG_FRAME_CRC_BYTES + 1, "the trailer is the CRC and the SYNC byte");
_Static_assert(GNG_FRAME_PAYLOAD_AT == GNG_FRAME_HEADER_BYTES && GNG_FRAME_LEN_AT < GNG_FRAME_HEADER_BYTES &&
                   GNG_FRAME_SEQ_AT < GNG_FRAME_HEADER_BYTES,
               "the header is len and seq, then the payload");

uint8_t gng_frame_seal(uint8_t *f, uint8_t payload_len, uint8_t seq) {
  uint8_t total = (uint8_t)(payload_len + GNG_FRAME_MIN_BYTES);
  uint8_t crc_at = (uint8_t)(total - GNG_FRAME_TRAILER_BYTES); /* the CRC covers everything before it */
  f[GNG_FRAME_LEN_AT] = total;
  f[GNG_FRAME_SEQ_AT] = seq;
  uint16_t crc = gng_crc16(f, crc_at);
  f[crc_at] = (uint8_t)(crc >> 8); /* big-endian on the wire */
  f[crc_at + 1] = (uint8_t)crc;
  f[total - 1] = GNG_FRAME_SYNC;
  return total;
}
