/* The chip interface: everything the portable core needs from an MCU (hal/avr) or a Linux process (hal/posix). */
#ifndef GNG_HAL_H
#define GNG_HAL_H
#include <stdint.h>

/* Bits of hal_pin_caps(pin). A pin number is port_index*8 + bit (PB5 = 13). */
#define HAL_PIN_EXISTS 0x01u
#define HAL_PIN_PWM 0x02u      /* hardware PWM channel behind the pin */
#define HAL_PIN_IRQ 0x04u      /* pin-change interrupt: can read an encoder channel */
#define HAL_PIN_ADC 0x08u      /* analog input */
#define HAL_PIN_RESERVED 0x10u /* exists, but the firmware itself owns it (the UART) */

/* Reset-cause bits of hal_reset_flags(): the AVR MCUSR layout, which the boot event reports verbatim. */
#define HAL_RESET_POWER_ON 0x01u
#define HAL_RESET_EXTERNAL 0x02u
#define HAL_RESET_BROWN_OUT 0x04u
#define HAL_RESET_WATCHDOG 0x08u

/* ---- system ---- */
void hal_init(void);             /* clocks, timers, UART, ADC; every pin left as a high-impedance input */
uint8_t hal_reset_flags(void);   /* why we booted (HAL_RESET_*) */
uint8_t hal_mcu_type(void);      /* GNG_MCU_* */
uint16_t hal_caps(void);         /* GNG_CAP_* this target offers */
uint8_t hal_rx_buffer_bytes(void);
uint32_t hal_micros(void);       /* [us] free-running, wraps at 2^32 */
uint32_t hal_millis(void);       /* [ms] free-running, wraps at 2^32 */
/* 1 kHz control ticks elapsed since the previous call: 0 = not yet, 1 = on time, >1 = the main loop overran. */
uint8_t hal_ticks_take(void);
void hal_wdt_kick(void);         /* feed the hardware watchdog (no-op where there is none) */

/* ---- serial link ---- */
uint8_t hal_serial_read(uint8_t *buf, uint8_t max); /* non-blocking: bytes copied */
/* TX without copies: the core builds each frame in a hal buffer of GNG_FRAME_MAX_BYTES, then queues it with
   hal_serial_tx_send(that buffer, its length). When every buffer is in flight, hal_serial_tx_frame() waits for one
   (at most one frame's wire time, 640 us at 1 Mbaud); telemetry asks hal_serial_tx_busy() first and skips instead. */
uint8_t *hal_serial_tx_frame(void);
uint8_t hal_serial_tx_busy(void);
void hal_serial_tx_send(uint8_t *frame, uint8_t len);
/* Hand queued TX bytes to the line now. The AVR sends from its idle loop; the core also calls this between the
   motors of a control step, after each motor's reference step and around received frames, so a busy main loop does
   not leave the line silent while frames wait (a byte lasts 160 cycles at 1 Mbaud and the USART holds two; with the
   line idle, 1 kHz telemetry finds all three frame slots taken and skips frames). Not before a frame's CRC or the
   telemetry step: those pumps lengthened the control step past the e-stop latency bound (test/emulator/estop-frame). */
void hal_serial_pump(void);

/* ---- pins ---- */
uint8_t hal_pin_caps(uint8_t pin);
void hal_gpio_output(uint8_t pin, uint8_t level);
void hal_gpio_input(uint8_t pin, uint8_t pullup);
void hal_gpio_release(uint8_t pin); /* back to the reset state: input, no pull-up */
void hal_gpio_write(uint8_t pin, uint8_t level);
uint8_t hal_gpio_read(uint8_t pin);

/* PWM: attach makes the pin an output at duty 0 (constant low, not a glitch per period). */
void hal_pwm_attach(uint8_t pin);
void hal_pwm_write(uint8_t pin, uint16_t duty_permille);

/* Quadrature encoders: 4x decoded counts; raw is a wrapping 16-bit counter the core extends to 32 bits. */
void hal_encoder_attach(uint8_t ch, uint8_t a_pin, uint8_t b_pin);
void hal_encoder_detach(uint8_t ch);
uint16_t hal_encoder_raw(uint8_t ch);

/* Which pins drive motor ch. Real chips need nothing; the posix hal wires its simulated plant with it. */
void hal_motor_bind(uint8_t ch, uint8_t pwm_pin, uint8_t dir_pin, uint8_t dir2_pin);

/* Hobby servos: 50 Hz frames, pulse_us 0 = no pulses (pin held low). */
void hal_servo_attach(uint8_t ch, uint8_t pin);
void hal_servo_detach(uint8_t ch);
void hal_servo_write(uint8_t ch, uint16_t pulse_us);

/* ADC: round-robin over attached channels, one conversion started per hal_adc_service() (once a tick). */
void hal_adc_attach(uint8_t ch, uint8_t pin);
void hal_adc_detach(uint8_t ch);
void hal_adc_service(void);
uint16_t hal_adc_read(uint8_t ch); /* [adc counts] latest 10-bit reading */

/* EEPROM: writes may finish in the background (an AVR byte takes 3.3 ms); reads see the new data at once. */
void hal_eeprom_read(uint16_t addr, uint8_t *buf, uint8_t len);
void hal_eeprom_write(uint16_t addr, const uint8_t *buf, uint8_t len);
void hal_eeprom_service(void);

#endif /* GNG_HAL_H */
