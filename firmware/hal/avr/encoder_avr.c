/* Quadrature encoders on pin-change interrupts, 4x decoded. The ISR is the hottest code on the chip (4 motors x 5 kHz
   edges = 20k edges/s), and it delays the USART RX interrupt: at 1 Mbaud the USART holds two bytes, so all pin-change
   ISRs that can run back to back must stay well under 320 cycles together or a received byte is lost. So each port has
   its own ISR that reads its PIN register once and only looks at the encoders with a pin on that port, each
   encoder's last A/B levels are kept (the levels of a pin on another port come from there, not from a second port
   read), and a 16-entry table maps (old levels, new levels) to -1/0/+1: a Gray-code step counts, no change or both
   pins changing at once (a missed edge) counts nothing. The ISRs call no function, so gcc saves only the few
   registers they use, and each one ends by taking a received byte off the USART (see avr_hal.h). Counters are 16-bit; the core extends them to 32 bits every tick. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include "../hal.h"
#include "avr_hal.h"
#include "avr_pins.h"
#include "../../core/gng_messages.h"

#define GROUPS 3 /* PCINT0..2 */
#define LV_A 1u  /* bits of lv[]: A and B levels as last seen */
#define LV_B 2u

static uint8_t enc_pins[GNG_MAX_MOTORS][2] = {{GNG_PIN_NONE, GNG_PIN_NONE}, {GNG_PIN_NONE, GNG_PIN_NONE},
                                              {GNG_PIN_NONE, GNG_PIN_NONE}, {GNG_PIN_NONE, GNG_PIN_NONE}};
static volatile uint16_t count[GNG_MAX_MOTORS]; /* wraps */
static uint8_t lv[GNG_MAX_MOTORS];
/* Each PCINT group watches one port (fixed per chip), so its ISR reads a constant register. */
#if defined(__AVR_ATmega2560__)
#define GROUP_PIN(g) ((g) == 0 ? PINB : (g) == 1 ? PINJ : PINK)
#else
#define GROUP_PIN(g) ((g) == 0 ? PINB : (g) == 1 ? PINC : PIND)
#endif
/* Per group: the last snapshot, and each encoder's A/B masks on that port (0 = the pin is elsewhere). grp_ab = a | b:
   one test skips an encoder none of whose pins moved; grp_keep = the lv bits of its pins on other ports. */
static uint8_t group_last[GROUPS];
static uint8_t grp_a[GROUPS][GNG_MAX_MOTORS], grp_b[GROUPS][GNG_MAX_MOTORS];
static uint8_t grp_ab[GROUPS][GNG_MAX_MOTORS], grp_keep[GROUPS][GNG_MAX_MOTORS];

/* Index (old << 2) | new, levels as LV_A | LV_B. Forward is the Gray sequence (A,B) 00 -> 10 -> 11 -> 01 -> 00: after an
   A edge forward iff A != B, after a B edge iff A == B. */
static const int8_t step[16] = {
    0, +1, -1, 0, /* from 00: to A=1 fwd, to B=1 back */
    -1, 0, 0, +1, /* from A=1: back to 00, to 11 fwd */
    +1, 0, 0, -1, /* from B=1: to 00 fwd, to 11 back */
    0, -1, +1, 0, /* from 11: B falls back, A falls fwd */
};

/* Forced inline with constant group and encoder indices, so every table access is a direct address. */
__attribute__((always_inline)) static inline void decode(uint8_t g, uint8_t i, uint8_t now, uint8_t changed) {
  if (!(changed & grp_ab[g][i])) return;
  uint8_t old = lv[i], nw = (uint8_t)(old & grp_keep[g][i]);
  if (now & grp_a[g][i]) nw |= LV_A;
  if (now & grp_b[g][i]) nw |= LV_B;
  lv[i] = nw;
  count[i] = (uint16_t)(count[i] + step[(uint8_t)(old << 2) | nw]);
}

__attribute__((always_inline)) static inline void service(uint8_t g, uint8_t now) {
  uint8_t changed = (uint8_t)(now ^ group_last[g]);
  if (!changed) return;
  group_last[g] = now;
  decode(g, 0, now, changed);
  decode(g, 1, now, changed);
  decode(g, 2, now, changed);
  decode(g, 3, now, changed);
}

/* One body for all three vectors: encoders on different ports often move at once, and servicing every port in one
   interrupt costs one register save instead of up to three ISRs back to back (which would hold off the USART). The
   flags are cleared before the ports are read, so a change after the read raises the interrupt again. */
ISR(PCINT0_vect) {
  PCIFR = _BV(PCIF0) | _BV(PCIF1) | _BV(PCIF2);
  uint8_t p0 = GROUP_PIN(0), p1 = GROUP_PIN(1), p2 = GROUP_PIN(2);
  service(0, p0);
  service(1, p1);
  service(2, p2);
  /* Take a byte the USART finished meanwhile: with pin-change interrupts back to back, the RX interrupt alone could
     wait past the two bytes the USART holds. */
  if (UCSR0A & _BV(RXC0)) avr_uart_rx_take();
}
ISR(PCINT1_vect, ISR_ALIASOF(PCINT0_vect));
ISR(PCINT2_vect, ISR_ALIASOF(PCINT0_vect));

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

/* Only the main loop writes PCMSKn and PCICR, so their read-modify-writes need no critical section. */
static inline void pcint_enable(const pin_irq_t *p) {
  uint8_t g = p->group;
  group_last[g] = *p->pin_reg;
  (&PCMSK0)[g] |= p->pcmsk_mask; /* PCMSK0..2 are consecutive on both chips */
  PCICR |= p->pcicr_mask;
}

static inline void pcint_disable(const pin_irq_t *p) { /* main loop only, like pcint_enable */
  uint8_t g = p->group;
  (&PCMSK0)[g] &= (uint8_t)~p->pcmsk_mask;
  if ((&PCMSK0)[g] == 0) PCICR &= (uint8_t)~p->pcicr_mask;
}

void hal_encoder_attach(uint8_t ch, uint8_t a_pin, uint8_t b_pin) {
  hal_encoder_detach(ch);
  hal_gpio_input(a_pin, 1); /* open-collector encoders need the pull-up; push-pull ones override it */
  hal_gpio_input(b_pin, 1);
  pin_irq_t a = lookup(a_pin), b = lookup(b_pin); /* both have interrupts: the core checked */
  enc_pins[ch][0] = a_pin;
  enc_pins[ch][1] = b_pin;
  /* With interrupts on: the ISR skips an encoder whose grp_ab is 0 (detached above), so it reads none of these yet,
     and an edge on a newly enabled pin only refreshes group_last. Done inside the critical section, all this held
     interrupts off for ~320 cycles, as long as the USART holds received bytes: a config_motor in a burst lost one. */
  grp_a[a.group][ch] = a.mask;
  grp_b[b.group][ch] = b.mask;
  uint8_t ab[GROUPS];
  for (uint8_t g = 0; g < GROUPS; g++) {
    ab[g] = (uint8_t)(grp_a[g][ch] | grp_b[g][ch]);
    grp_keep[g][ch] = (uint8_t)((grp_a[g][ch] ? 0u : LV_A) | (grp_b[g][ch] ? 0u : LV_B));
  }
  pcint_enable(&a);
  pcint_enable(&b);
  /* The levels the decoding starts from and the switch that turns it on, together. */
  uint8_t s = SREG;
  cli();
  lv[ch] = (uint8_t)(((*a.pin_reg & a.mask) ? LV_A : 0u) | ((*b.pin_reg & b.mask) ? LV_B : 0u));
  count[ch] = 0;
  for (uint8_t g = 0; g < GROUPS; g++) grp_ab[g][ch] = ab[g];
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
  /* grp_ab is the switch: with it 0 the ISR skips this encoder, so the rest is cleared with interrupts on. */
  uint8_t s = SREG;
  cli();
  for (uint8_t g = 0; g < GROUPS; g++) grp_ab[g][ch] = 0;
  SREG = s;
  for (uint8_t g = 0; g < GROUPS; g++) grp_a[g][ch] = grp_b[g][ch] = grp_keep[g][ch] = 0;
  for (uint8_t k = 0; k < n; k++) pcint_disable(&p[k]);
}

uint16_t hal_encoder_raw(uint8_t ch) {
  uint8_t s = SREG;
  cli();
  uint16_t c = count[ch];
  SREG = s;
  return c;
}
