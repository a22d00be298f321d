/* CRC-16/MCRF4XX (poly 0x1021 reflected = 0x8408, init 0xFFFF, no final xor; check value 0x6F91): the frame
   checksum, the same CRC as Klipper's crc16_ccitt. */
#ifndef GNG_CRC16_H
#define GNG_CRC16_H
#include <stdint.h>

#define GNG_CRC16_INIT 0xFFFFu

/*
 * One byte into a running CRC, table-free. This is Klipper's form,
 *   data ^= crc & 0xff; data ^= data << 4;
 *   crc = ((data << 8) | (crc >> 8)) ^ (data >> 4) ^ (data << 3);
 * split into its two result bytes so a compiler for an 8-bit MCU emits only byte operations. The portable
 * gng_crc16() uses it; on AVR the hal replaces gng_crc16() with a flash table (hal/avr/crc16_avr.c), which is
 * faster and costs no RAM, and this inline form is then used by nothing in the image.
 */
static inline uint16_t gng_crc16_byte(uint16_t crc, uint8_t data) {
  uint8_t lo = (uint8_t)crc, hi = (uint8_t)(crc >> 8);
  data ^= lo;
  data ^= (uint8_t)(data << 4);
  uint8_t new_lo = (uint8_t)(hi ^ (uint8_t)(data >> 4) ^ (uint8_t)(data << 3));
  uint8_t new_hi = (uint8_t)(data ^ (uint8_t)(data >> 5));
  return (uint16_t)(((uint16_t)new_hi << 8) | new_lo);
}

uint16_t gng_crc16(const uint8_t *buf, uint8_t len);

#endif
