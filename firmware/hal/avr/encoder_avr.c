/* Quadrature encoders on pin-change interrupts, 4x decoded. The ISR is the hottest code on the chip (4 motors x 5 kHz
   edges = 20k interrupts/s), so it keeps a 16-bit counter and decodes only the encoder whose pin changed: the port
   snapshot says which pin moved, and then the levels alone give the direction (Gray code: after an A edge we are
   going forward iff A != B, after a B edge iff A == B). No per-encoder state, so a missed edge cannot skew later
   counts; both pins changing at once (a missed edge) is skipped. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include "../hal.h"
#include "avr_hal.h"
#include "avr_pins.h"
#include "../../core/gng_messages.h"

#define GROUPS 3 /* PCINT0..2 */

typedef struct {
  volatile uint8_t *a_in, *b_in; /* PINx registers */
  uint8_t a_mask, b_mask;
  uint16_t count;                /* wraps; the core extends it to 32 bits every tick */
} enc_t;

static enc_t enc[GNG_MAX_MOTORS];
static uint8_t enc_pins[GNG_MAX_MOTORS][2] = {{GNG_PIN_NONE, GNG_PIN_NONE}, {GNG_PIN_NONE, GNG_PIN_NONE},
                                              {GNG_PIN_NONE, GNG_PIN_NONE}, {GNG_PIN_NONE, GNG_PIN_NONE}};
/* Per PCINT group: its port's PIN register, the last snapshot, and each encoder's A/B bits on that port (0 = the
   pin is elsewhere). */
static volatile uint8_t *group_pin[GROUPS];
static uint8_t group_last[GROUPS];
static uint8_t group_a[GROUPS][GNG_MAX_MOTORS], group_b[GROUPS][GNG_MAX_MOTORS];
static uint8_t group_members[GROUPS]; /* bit i: encoder i has a pin in the group (skipping the others is cheap) */

/* Forced inline with constant group and encoder indices: a call would make every ISR save all call-clobbered
   registers, which costs more than the decoding itself. */
__attribute__((always_inline)) static inline void decode(uint8_t g, uint8_t i, uint8_t changed, uint8_t members) {
  if (!(members & (1u << i))) return;
  uint8_t ca = changed & group_a[g][i], cb = changed & group_b[g][i];
  if (!(ca | cb) || (ca && cb)) return;
  enc_t *e = &enc[i];
  uint8_t a = (*e->a_in & e->a_mask) != 0, b = (*e->b_in & e->b_mask) != 0;
  if (ca ? a != b : a == b) e->count++;
  else e->count--;
}

__attribute__((always_inline)) static inline void service(uint8_t g) {
  uint8_t now = *group_pin[g], changed = (uint8_t)(now ^ group_last[g]);
  uint8_t members = group_members[g];
  group_last[g] = now;
  decode(g, 0, changed, members);
  decode(g, 1, changed, members);
  decode(g, 2, changed, members);
  decode(g, 3, changed, members);
}

ISR(PCINT0_vect) { service(0); }
ISR(PCINT1_vect) { service(1); }
ISR(PCINT2_vect) { service(2); }

/* Interrupts are off only around the few stores the ISRs read (a byte lasts 160 cycles at 1 Mbaud and the USART
   holds just two): everything is looked up before. */
typedef struct {
  uint8_t group, pcmsk_mask, pcicr_mask, mask;
  volatile uint8_t *pin_reg;
} pin_irq_t;

static pin_irq_t lookup(uint8_t pin) {
  pin_irq_t r;
  uint8_t bit;
  r.group = avr_pcint(pin, &bit);
  r.pcmsk_mask = (uint8_t)(1u << bit);
  r.pcicr_mask = (uint8_t)(1u << (r.group & 7));
  r.mask = avr_mask_of(pin);
  r.pin_reg = avr_pin_reg(pin >> 3);
  return r;
}

static inline void pcint_enable(const pin_irq_t *p, uint8_t ch_bit, uint8_t *group_slot) {
  uint8_t g = p->group;
  group_pin[g] = p->pin_reg;
  group_last[g] = *p->pin_reg;
  *group_slot = p->mask;
  group_members[g] |= ch_bit;
  (&PCMSK0)[g] |= p->pcmsk_mask; /* PCMSK0..2 are consecutive on both chips */
  PCICR |= p->pcicr_mask;
}

static inline void pcint_disable(const pin_irq_t *p) {
  uint8_t g = p->group;
  (&PCMSK0)[g] &= (uint8_t)~p->pcmsk_mask;
  if ((&PCMSK0)[g] == 0) PCICR &= (uint8_t)~p->pcicr_mask;
}

void hal_encoder_attach(uint8_t ch, uint8_t a_pin, uint8_t b_pin) {
  hal_encoder_detach(ch);
  hal_gpio_input(a_pin, 1); /* open-collector encoders need the pull-up; push-pull ones override it */
  hal_gpio_input(b_pin, 1);
  pin_irq_t a = lookup(a_pin), b = lookup(b_pin); /* both have interrupts: the core checked */
  enc_t *e = &enc[ch];
  uint8_t ch_bit = (uint8_t)(1u << ch);
  uint8_t *slot_a = &group_a[a.group][ch], *slot_b = &group_b[b.group][ch];
  enc_pins[ch][0] = a_pin;
  enc_pins[ch][1] = b_pin;
  uint8_t s = SREG;
  cli();
  e->a_in = a.pin_reg;
  e->b_in = b.pin_reg;
  e->a_mask = a.mask;
  e->b_mask = b.mask;
  e->count = 0;
  pcint_enable(&a, ch_bit, slot_a);
  pcint_enable(&b, ch_bit, slot_b);
  SREG = s;
}

void hal_encoder_detach(uint8_t ch) {
  pin_irq_t p[2];
  uint8_t n = 0;
  for (uint8_t k = 0; k < 2; k++) {
    if (enc_pins[ch][k] != GNG_PIN_NONE) p[n] = lookup(enc_pins[ch][k]);
    if (enc_pins[ch][k] != GNG_PIN_NONE && p[n].group != AVR_NO_CHANNEL) n++;
    enc_pins[ch][k] = GNG_PIN_NONE;
  }
  uint8_t keep = (uint8_t)~(1u << ch);
  uint8_t s = SREG;
  cli();
  for (uint8_t g = 0; g < GROUPS; g++) {
    group_a[g][ch] = group_b[g][ch] = 0;
    group_members[g] &= keep;
  }
  for (uint8_t k = 0; k < n; k++) pcint_disable(&p[k]);
  SREG = s;
}

uint16_t hal_encoder_raw(uint8_t ch) {
  uint8_t s = SREG;
  cli();
  uint16_t c = enc[ch].count;
  SREG = s;
  return c;
}
