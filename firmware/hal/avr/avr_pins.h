/* Per-MCU pin tables of the AVR hal: which pins exist, and their PWM, pin-change interrupt and ADC resources. */
#ifndef GNG_AVR_PINS_H
#define GNG_AVR_PINS_H
#include <stdint.h>

#define AVR_NO_CHANNEL 0xFFu

/* A hardware PWM output: an 8-bit fast-PWM compare channel (16-bit timers run in their 8-bit fast-PWM mode). */
typedef struct {
  uint8_t pin;
  volatile uint8_t *tccra; /* holds the COM bits that connect the pin to the timer */
  uint8_t com_mask;        /* COMnx1: non-inverting */
  volatile uint8_t *ocr;   /* low byte of OCRnx */
  uint8_t is16;            /* 16-bit timer: write OCRnxH (0) before the low byte */
} avr_pwm_t;

volatile uint8_t *avr_pin_reg(uint8_t port); /* PINx; DDRx and PORTx follow it. 0 if the port does not exist */
uint8_t avr_port_bits(uint8_t port);         /* bits that exist as pins */
uint8_t avr_port_reserved(uint8_t port);     /* bits the firmware owns (UART) */
/* PCINT group (0..2) of a pin with its bit in PCMSKn; AVR_NO_CHANNEL if the pin has no pin-change interrupt. */
uint8_t avr_pcint(uint8_t pin, uint8_t *pcmsk_bit);
uint8_t avr_adc_channel(uint8_t pin);        /* 0..15, or AVR_NO_CHANNEL */
/* A timer that drives PWM channels: its two control registers, and whether it is a 16-bit one. */
typedef struct {
  volatile uint8_t *tccra, *tccrb;
  uint8_t is16;
} avr_pwm_timer_t;

/* Each chip's pin file (pins_<mcu>.c) defines its PWM channels and their timers as data; the lookup and the timer
   set-up are shared (gpio_avr.c). */
extern const avr_pwm_t avr_pwm_table[];
extern const uint8_t avr_pwm_count;
extern const avr_pwm_timer_t avr_pwm_timers[];
extern const uint8_t avr_pwm_timer_count;
const avr_pwm_t *avr_pwm_find(uint8_t pin);  /* or 0 */
void avr_pwm_timers_init(void);              /* every PWM timer in 8-bit fast PWM, prescaler 8 (7.8 kHz) */

#endif
