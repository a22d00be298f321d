/* config_* messages: validate the wiring against the chip's pin table, then attach it. Refusals change nothing. */
#ifndef GNG_CONFIG_H
#define GNG_CONFIG_H
#include <stdint.h>
#include "gng_messages.h"

/* Each returns 0 when applied, else (GNG_ERR_* << 8) | arg, where arg is the offending index or pin. */
uint16_t gng_config_link(const gng_config_link_t *c);
uint16_t gng_config_motor(const gng_config_motor_t *c);
uint16_t gng_config_pid(const gng_config_pid_t *c);
uint16_t gng_config_servo(const gng_config_servo_t *c);
uint16_t gng_config_analog(const gng_config_analog_t *c);
uint16_t gng_config_input(const gng_config_input_t *c);

#define GNG_REFUSE(code, arg) ((uint16_t)(((uint16_t)(code) << 8) | (uint8_t)(arg)))

#endif
