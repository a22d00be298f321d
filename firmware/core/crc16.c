/* CRC-16/MCRF4XX over a buffer (see crc16.h): the portable version, used by the posix target, tests and fuzzer. */
#include "crc16.h"

/* A hal may supply a faster gng_crc16 of the same CRC by defining GNG_HAL_CRC16: the AVR one (hal/avr/crc16_avr.c)
   is a 512-byte lookup table in flash with a 7-instruction assembly loop, 15 cycles a byte. */
#ifndef GNG_HAL_CRC16
uint16_t gng_crc16(const uint8_t *buf, uint8_t len) {
  uint16_t crc = GNG_CRC16_INIT;
  while (len--) crc = gng_crc16_byte(crc, *buf++);
  return crc;
}
#endif
