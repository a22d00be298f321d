/* AVR pins: capability lookup, digital I/O and hardware PWM. Read-modify-writes run with interrupts off because the
   servo interrupt writes the same PORT registers. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include "../hal.h"
#include "avr_hal.h"
#include "avr_pins.h"

const avr_pwm_t *avr_pwm_find(uint8_t pin) {
  for (uint8_t i = 0; i < avr_pwm_count; i++)
    if (avr_pwm_table[i].pin == pin) return &avr_pwm_table[i];
  return 0;
}

/* Fast PWM with TOP 0xFF at clk/8: 16 MHz / 8 / 256 = 7.8 kHz, the same duty resolution on every channel. The bits
   sit at the same places in every timer of both chips, so timer0's and timer1's names stand for all: an 8-bit timer
   is WGM mode 3 (WGMn1|WGMn0 in TCCRnA), a 16-bit one mode 5, "fast PWM, 8-bit" (WGMn0 in A, WGMn2 in B); CSn1 is
   clk/8. Outputs stay disconnected (COM bits 0) until a duty is set. */
void avr_pwm_timers_init(void) {
  for (uint8_t i = 0; i < avr_pwm_timer_count; i++) {
    const avr_pwm_timer_t *t = &avr_pwm_timers[i];
    *t->tccra = t->is16 ? _BV(WGM00) : (uint8_t)(_BV(WGM01) | _BV(WGM00));
    *t->tccrb = t->is16 ? (uint8_t)(_BV(WGM12) | _BV(CS01)) : _BV(CS01);
  }
}

#define AVR_PINS 88u /* ports A..L */

volatile uint8_t *avr_port_of(uint8_t pin) { return avr_pin_reg(pin >> 3) + 2; }
uint8_t avr_mask_of(uint8_t pin) { return (uint8_t)(1u << (pin & 7)); }

uint8_t hal_pin_caps(uint8_t pin) {
  if (pin >= AVR_PINS) return 0;
  uint8_t port = pin >> 3, mask = avr_mask_of(pin), bit;
  if (!avr_pin_reg(port) || !(avr_port_bits(port) & mask)) return 0;
  uint8_t caps = HAL_PIN_EXISTS;
  if (avr_port_reserved(port) & mask) caps |= HAL_PIN_RESERVED;
  if (avr_pwm_find(pin)) caps |= HAL_PIN_PWM;
  if (avr_pcint(pin, &bit) != AVR_NO_CHANNEL) caps |= HAL_PIN_IRQ;
  if (avr_adc_channel(pin) != AVR_NO_CHANNEL) caps |= HAL_PIN_ADC;
  return caps;
}

static void set_bit(volatile uint8_t *reg, uint8_t mask, uint8_t on) {
  uint8_t s = SREG;
  cli();
  if (on) *reg |= mask;
  else *reg &= (uint8_t)~mask;
  SREG = s;
}

void hal_gpio_output(uint8_t pin, uint8_t level) {
  volatile uint8_t *pinr = avr_pin_reg(pin >> 3);
  uint8_t m = avr_mask_of(pin);
  set_bit(pinr + 2, m, level); /* level first, then direction: no glitch to the wrong level */
  set_bit(pinr + 1, m, 1);
}

void hal_gpio_input(uint8_t pin, uint8_t pullup) {
  volatile uint8_t *pinr = avr_pin_reg(pin >> 3);
  uint8_t m = avr_mask_of(pin);
  set_bit(pinr + 1, m, 0);
  set_bit(pinr + 2, m, pullup);
}

void hal_gpio_release(uint8_t pin) {
  const avr_pwm_t *p = avr_pwm_find(pin);
  if (p) set_bit(p->tccra, p->com_mask, 0);
  hal_gpio_input(pin, 0);
}

void hal_gpio_write(uint8_t pin, uint8_t level) { set_bit(avr_port_of(pin), avr_mask_of(pin), level); }

uint8_t hal_gpio_read(uint8_t pin) { return (*avr_pin_reg(pin >> 3) & avr_mask_of(pin)) ? 1 : 0; }

void hal_pwm_attach(uint8_t pin) {
  hal_gpio_output(pin, 0);
  hal_pwm_write(pin, 0);
}

void hal_pwm_write(uint8_t pin, uint16_t duty_permille) {
  const avr_pwm_t *p = avr_pwm_find(pin);
  if (!p) return;
  /* permille -> 0..255 without a division: * 16712 / 65536 with rounding, 1000 -> 255 (TOP: constantly high). */
  uint8_t duty = (uint8_t)(((uint32_t)duty_permille * 16712u + 32768u) >> 16);
  uint8_t s = SREG;
  cli();
  if (duty == 0) {
    /* Fast PWM still emits a one-count spike at OCR = 0; disconnect so the PORT bit holds the pin low instead. */
    *p->tccra &= (uint8_t)~p->com_mask;
  } else {
    if (p->is16) p->ocr[1] = 0; /* the high byte goes through TEMP first */
    p->ocr[0] = duty;
    *p->tccra |= p->com_mask;
  }
  SREG = s;
}

/* The AVR drives motor pins directly; only the simulated hal needs to know which pins form a motor. */
void hal_motor_bind(uint8_t ch, uint8_t pwm_pin, uint8_t dir_pin, uint8_t dir2_pin) {
  (void)ch;
  (void)pwm_pin;
  (void)dir_pin;
  (void)dir2_pin;
}
