/* ADC round-robin: each control tick collects the finished conversion and starts the next channel, never waiting
   (a conversion takes 104 us at clk/128, well inside the 1 ms tick). */
#include <avr/io.h>
#include "../hal.h"
#include "avr_hal.h"
#include "avr_pins.h"
#include "../../core/gng_messages.h"

static uint8_t adc_ch[GNG_MAX_ANALOG] = {AVR_NO_CHANNEL, AVR_NO_CHANNEL, AVR_NO_CHANNEL, AVR_NO_CHANNEL};
static uint16_t value[GNG_MAX_ANALOG];
static uint8_t converting = 0xFF; /* analog channel index whose conversion is running */

void avr_adc_init(void) {
  ADMUX = _BV(REFS0);                                        /* AVcc reference */
  ADCSRA = _BV(ADEN) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0); /* 125 kHz ADC clock: full 10-bit accuracy */
}

void hal_adc_attach(uint8_t ch, uint8_t pin) {
  adc_ch[ch] = avr_adc_channel(pin);
  value[ch] = 0;
}

void hal_adc_detach(uint8_t ch) { adc_ch[ch] = AVR_NO_CHANNEL; }

uint16_t hal_adc_read(uint8_t ch) { return value[ch]; }

void hal_adc_service(void) {
  if (ADCSRA & _BV(ADSC)) return; /* still converting */
  if (converting < GNG_MAX_ANALOG) value[converting] = ADC;
  for (uint8_t k = 1; k <= GNG_MAX_ANALOG; k++) {
    uint8_t i = (uint8_t)((converting + k) & (GNG_MAX_ANALOG - 1));
    uint8_t c = adc_ch[i];
    if (c == AVR_NO_CHANNEL) continue;
#if defined(MUX5)
    if (c & 8) ADCSRB |= _BV(MUX5);
    else ADCSRB &= (uint8_t)~_BV(MUX5);
#endif
    ADMUX = (uint8_t)(_BV(REFS0) | (c & 7));
    ADCSRA |= _BV(ADSC);
    converting = i;
    return;
  }
  converting = 0xFF;
}
