/* Extra controls of the posix hal: serial endpoints, a manual clock and pin injection for tests and the fuzzer. */
#ifndef GNG_HAL_POSIX_H
#define GNG_HAL_POSIX_H
#include <stddef.h>
#include <stdint.h>

#define HAL_POSIX_PINS 88 /* ports A..L (11 x 8), like the largest AVR we target */

/* Serial: file descriptors (pty or stdio), or memory (tests, fuzzer). */
void hal_posix_serial_fds(int rx_fd, int tx_fd);
void hal_posix_serial_memory(void);
void hal_posix_inject_rx(const uint8_t *buf, size_t n); /* memory mode: bytes the "host" sent */
size_t hal_posix_take_tx(uint8_t *buf, size_t max);     /* memory mode: bytes the firmware sent */
int hal_posix_rx_eof(void);                             /* fd mode: the other side closed (stdio) */
/* fd mode: whether poll() saw input. When it did not, hal_serial_read() skips its read() (a tick-only wake-up);
   starts ready, so a caller that never polls reads every time. */
void hal_posix_rx_ready(int ready);

/* Clock: real CLOCK_MONOTONIC by default; manual for deterministic tests. */
void hal_posix_manual_clock(int on);
void hal_posix_advance_us(uint32_t us);
uint32_t hal_posix_next_tick_us(void); /* [us] when the next 1 kHz tick is due, on the hal_micros() clock */

/* Pins seen from outside the "chip". */
void hal_posix_drive_pin(uint8_t pin, uint8_t level); /* an external signal on an input (switch, e-stop) */
void hal_posix_float_pin(uint8_t pin);                /* stop driving it */
uint8_t hal_posix_pin_level(uint8_t pin);             /* what an output pin drives */
uint16_t hal_posix_pwm_permille(uint8_t pin);
uint16_t hal_posix_servo_us(uint8_t ch);
void hal_posix_set_adc(uint8_t pin, uint16_t value);

/* The simulated motor plant behind motor channel ch. */
int32_t hal_posix_plant_counts(uint8_t ch);
int32_t hal_posix_plant_vel_cps(uint8_t ch);

void hal_posix_eeprom_file(const char *path); /* persist the emulated EEPROM; call before hal_init() */

#endif
