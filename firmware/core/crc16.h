/* CRC-16/MCRF4XX (poly 0x1021 reflected, init 0xFFFF): the frame checksum, in Klipper's table-free form. */
#ifndef GNG_CRC16_H
#define GNG_CRC16_H
#include <stdint.h>

#define GNG_CRC16_INIT 0xFFFFu

/*
 * One byte into a running CRC. This is Klipper's form,
 *   data ^= crc & 0xff; data ^= data << 4;
 *   crc = ((data << 8) | (crc >> 8)) ^ (data >> 4) ^ (data << 3);
 * split into its two result bytes so an 8-bit MCU does only byte operations (about 15 cycles a byte on AVR instead
 * of 40 for the 16-bit shifts; table-free because a 512-byte table is a quarter of a 328P's RAM).
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
