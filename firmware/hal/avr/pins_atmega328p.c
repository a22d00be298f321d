/* ATmega328P pin table (data only): ports B, C, D; PWM on timer0 (PD6, PD5) and timer2 (PB3, PD3); timer1 is the tick. */
#include <avr/io.h>
#include "avr_pins.h"

volatile uint8_t *avr_pin_reg(uint8_t port) {
  switch (port) {
    case 1: return &PINB;
    case 2: return &PINC;
    case 3: return &PIND;
    default: return 0;
  }
}

uint8_t avr_port_bits(uint8_t port) {
  switch (port) {
    case 1: return 0x3F; /* PB6/PB7 drive the crystal */
    case 2: return 0x3F; /* PC6 is RESET */
    case 3: return 0xFF;
    default: return 0;
  }
}

uint8_t avr_port_reserved(uint8_t port) {
  return port == 3 ? 0x03 : 0; /* PD0 RXD, PD1 TXD: the host link */
}

uint8_t avr_pcint(uint8_t pin, uint8_t *pcmsk_bit) {
  uint8_t port = pin >> 3;
  *pcmsk_bit = pin & 7;
  if (port >= 1 && port <= 3) return (uint8_t)(port - 1); /* PCINT0 = port B, 1 = C, 2 = D */
  return AVR_NO_CHANNEL;
}

uint8_t avr_adc_channel(uint8_t pin) {
  return (pin >> 3) == 2 ? (pin & 7) : AVR_NO_CHANNEL; /* PC0..PC5 = ADC0..ADC5 */
}

const avr_pwm_t avr_pwm_table[] = {
    {30, &TCCR0A, _BV(COM0A1), &OCR0A, 0}, /* PD6 OC0A (Arduino D6) */
    {29, &TCCR0A, _BV(COM0B1), &OCR0B, 0}, /* PD5 OC0B (D5) */
    {11, &TCCR2A, _BV(COM2A1), &OCR2A, 0}, /* PB3 OC2A (D11) */
    {27, &TCCR2A, _BV(COM2B1), &OCR2B, 0}, /* PD3 OC2B (D3) */
};

const uint8_t avr_pwm_count = sizeof avr_pwm_table / sizeof avr_pwm_table[0];

const avr_pwm_timer_t avr_pwm_timers[] = {{&TCCR0A, &TCCR0B, 0}, {&TCCR2A, &TCCR2B, 0}};
const uint8_t avr_pwm_timer_count = sizeof avr_pwm_timers / sizeof avr_pwm_timers[0];
