/* CRC-16/MCRF4XX over a buffer (see crc16.h). */
#include "crc16.h"

/* A hal may supply a faster gng_crc16 of the same CRC (the AVR one uses avr-libc's hand-written assembly). */
#ifndef GNG_HAL_CRC16
uint16_t gng_crc16(const uint8_t *buf, uint8_t len) {
  uint16_t crc = GNG_CRC16_INIT;
  while (len--) crc = gng_crc16_byte(crc, *buf++);
  return crc;
}
#endif
