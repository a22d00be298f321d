/* ATmega2560 pin table: ports A..L; PWM on timers 0, 2 (8-bit) and 3, 4, 5 (16-bit in 8-bit mode); timer1 is the tick. */
#include <avr/io.h>
#include "avr_pins.h"

volatile uint8_t *avr_pin_reg(uint8_t port) {
  switch (port) {
    case 0: return &PINA;
    case 1: return &PINB;
    case 2: return &PINC;
    case 3: return &PIND;
    case 4: return &PINE;
    case 5: return &PINF;
    case 6: return &PING;
    case 7: return &PINH;
    case 8: return &PINJ;
    case 9: return &PINK;
    case 10: return &PINL;
    default: return 0;
  }
}

uint8_t avr_port_bits(uint8_t port) {
  if (port == 6) return 0x3F; /* port G has PG0..PG5 */
  return port <= 10 ? 0xFF : 0;
}

uint8_t avr_port_reserved(uint8_t port) {
  return port == 4 ? 0x03 : 0; /* PE0 RXD0, PE1 TXD0: the host link */
}

uint8_t avr_pcint(uint8_t pin, uint8_t *pcmsk_bit) {
  uint8_t port = pin >> 3, bit = pin & 7;
  *pcmsk_bit = bit;
  if (port == 1) return 0; /* PB0..7 = PCINT0..7 */
  if (port == 9) return 2; /* PK0..7 = PCINT16..23 */
  if (port == 8 && bit < 7) { /* PJ0..6 = PCINT9..15 (PCINT8 is PE0, the UART's RXD) */
    *pcmsk_bit = (uint8_t)(bit + 1);
    return 1;
  }
  return AVR_NO_CHANNEL;
}

uint8_t avr_adc_channel(uint8_t pin) {
  uint8_t port = pin >> 3;
  if (port == 5) return pin & 7;                /* PF0..7 = ADC0..7 */
  if (port == 9) return (uint8_t)(8 + (pin & 7)); /* PK0..7 = ADC8..15 */
  return AVR_NO_CHANNEL;
}

const avr_pwm_t avr_pwm_table[] = {
    {15, &TCCR0A, _BV(COM0A1), &OCR0A, 0},  /* PB7 OC0A (Mega D13) */
    {53, &TCCR0A, _BV(COM0B1), &OCR0B, 0},  /* PG5 OC0B (D4) */
    {12, &TCCR2A, _BV(COM2A1), &OCR2A, 0},  /* PB4 OC2A (D10) */
    {62, &TCCR2A, _BV(COM2B1), &OCR2B, 0},  /* PH6 OC2B (D9) */
    {35, &TCCR3A, _BV(COM3A1), &OCR3AL, 1}, /* PE3 OC3A (D5) */
    {36, &TCCR3A, _BV(COM3B1), &OCR3BL, 1}, /* PE4 OC3B (D2) */
    {37, &TCCR3A, _BV(COM3C1), &OCR3CL, 1}, /* PE5 OC3C (D3) */
    {59, &TCCR4A, _BV(COM4A1), &OCR4AL, 1}, /* PH3 OC4A (D6) */
    {60, &TCCR4A, _BV(COM4B1), &OCR4BL, 1}, /* PH4 OC4B (D7) */
    {61, &TCCR4A, _BV(COM4C1), &OCR4CL, 1}, /* PH5 OC4C (D8) */
    {83, &TCCR5A, _BV(COM5A1), &OCR5AL, 1}, /* PL3 OC5A (D46) */
    {84, &TCCR5A, _BV(COM5B1), &OCR5BL, 1}, /* PL4 OC5B (D45) */
    {85, &TCCR5A, _BV(COM5C1), &OCR5CL, 1}, /* PL5 OC5C (D44) */
};

const uint8_t avr_pwm_count = sizeof avr_pwm_table / sizeof avr_pwm_table[0];

const avr_pwm_timer_t avr_pwm_timers[] = {
    {&TCCR0A, &TCCR0B, 0}, {&TCCR2A, &TCCR2B, 0}, {&TCCR3A, &TCCR3B, 1}, {&TCCR4A, &TCCR4B, 1}, {&TCCR5A, &TCCR5B, 1},
};
const uint8_t avr_pwm_timer_count = sizeof avr_pwm_timers / sizeof avr_pwm_timers[0];
