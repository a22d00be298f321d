/* DC motor channels: encoder measurement, the per-mode control law, and the H-bridge pin mapping. */
#ifndef GNG_MOTOR_H
#define GNG_MOTOR_H
#include <stdint.h>

#define GNG_VEL_FILTER_SHIFT 3 /* velocity low-pass: alpha = 1/8, an 8 ms time constant at 1 kHz */

void gng_motor_reset(uint8_t i);                  /* unwired channel, no limits, zero gains */
void gng_motor_safe(uint8_t i);                   /* mode OFF, output 0 (coast), integrator cleared */
void gng_motor_set(uint8_t i, uint8_t mode, int32_t value); /* a set_motors channel (caller checks armed) */
void gng_motor_set_position(uint8_t i, int32_t counts);
void gng_motors_tick(void);                       /* once a tick: encoders, control laws, output pins */
void gng_motor_output(uint8_t i, int32_t out_permille); /* clamp (limits, max, direction pins) and apply */
int16_t gng_motor_vel_cps(uint8_t i);             /* [counts/s] filtered, saturated to int16 */

#endif
