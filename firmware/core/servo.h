/* Hobby servo channels: pulse widths clamped to the configured range, default pulse when not armed. */
#ifndef GNG_SERVO_H
#define GNG_SERVO_H
#include <stdint.h>

void gng_servo_default(uint8_t i);              /* safe default: default_us (0 = no pulses, servo limp) */
void gng_servo_set(uint8_t i, uint16_t pulse_us); /* clamped to [min_us, max_us]; 0 stops pulses */

#endif
