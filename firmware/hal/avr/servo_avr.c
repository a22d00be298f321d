/* Software servo pulses on any pin from timer1 compare B: one pulse after another in each 20 ms frame, so four 2.5 ms
   pulses fit with room to spare. Each edge is scheduled from the previous compare time, so the width is exact to the
   0.5 us timer tick and only interrupt latency (other ISRs running) adds jitter. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include "../hal.h"
#include "avr_hal.h"
#include "../../core/gng_messages.h"

#define FRAME_TICKS (20u * AVR_T1_TICKS_PER_MS) /* 50 Hz */

static volatile uint16_t pulse_ticks[GNG_MAX_SERVOS]; /* 0 = no pulse */
static volatile uint8_t *volatile port[GNG_MAX_SERVOS];
static volatile uint8_t mask[GNG_MAX_SERVOS];
static uint8_t cur = 0xFF; /* channel whose pulse is high, or 0xFF between frames (ISR only) */
static uint16_t frame_start;

ISR(TIMER1_COMPB_vect) {
  if (cur < GNG_MAX_SERVOS) *port[cur] &= (uint8_t)~mask[cur]; /* end the pulse first: it is the timed edge */
  for (cur++; cur < GNG_MAX_SERVOS; cur++) {
    uint16_t t = pulse_ticks[cur];
    if (t && mask[cur]) {
      *port[cur] |= mask[cur];
      OCR1B += t;
      return;
    }
  }
  cur = 0xFF; /* frame done: wait for the next one (0xFF + 1 wraps to channel 0) */
  frame_start += FRAME_TICKS;
  OCR1B = frame_start;
}

void avr_servo_init(void) {
  for (uint8_t i = 0; i < GNG_MAX_SERVOS; i++) port[i] = &GPIOR0; /* harmless target while unattached (mask 0) */
  frame_start = (uint16_t)(TCNT1 + 2u * AVR_T1_TICKS_PER_MS);
  OCR1B = frame_start;
  TIMSK1 |= _BV(OCIE1B);
}

void hal_servo_attach(uint8_t ch, uint8_t pin) {
  hal_servo_detach(ch);
  hal_gpio_output(pin, 0);
  uint8_t s = SREG;
  cli();
  port[ch] = avr_port_of(pin);
  mask[ch] = avr_mask_of(pin);
  SREG = s;
}

void hal_servo_detach(uint8_t ch) {
  uint8_t s = SREG;
  cli();
  pulse_ticks[ch] = 0;
  *port[ch] &= (uint8_t)~mask[ch]; /* a pulse in progress ends now, not on a pin we no longer own */
  mask[ch] = 0;
  port[ch] = &GPIOR0;
  SREG = s;
}

void hal_servo_write(uint8_t ch, uint16_t pulse_us) {
  uint8_t s = SREG;
  cli();
  pulse_ticks[ch] = (uint16_t)(pulse_us * 2u); /* takes effect from the next frame */
  SREG = s;
}
