/* AVR system services: reset cause, timer1 (1 kHz control tick + microsecond clock), hardware watchdog. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>
#include "../hal.h"
#include "avr_hal.h"
#include "avr_pins.h"
#include "../../core/gng_messages.h"

static volatile uint8_t ticks_pending; /* ticks the main loop has not taken yet */
static volatile uint32_t ms_now;
static volatile uint32_t t1_base_us;   /* [us] timer1 time at its last overflow */
static uint8_t reset_cause;
uint8_t avr_saved_mcusr __attribute__((section(".noinit")));

/* Runs before main, before anything else: a watchdog reset leaves the WDT armed at 15 ms, which would reset us again
   during start-up, and MCUSR must be read before it is cleared. Optiboot clears MCUSR but passes it in r2. */
void avr_early_init(void) __attribute__((naked, used, section(".init3")));
void avr_early_init(void) {
  uint8_t r2;
  __asm__ volatile("mov %0, r2" : "=r"(r2));
  avr_saved_mcusr = MCUSR ? MCUSR : r2;
  MCUSR = 0;
  wdt_disable();
}

ISR(TIMER1_COMPA_vect) {
  OCR1A += AVR_T1_TICKS_PER_MS; /* scheduled from the compare time, not from now: no drift */
  ms_now++;
  if (ticks_pending != 255) ticks_pending++;
}

ISR(TIMER1_OVF_vect) {
  t1_base_us += 32768u; /* 65536 ticks at 2 MHz */
}

void hal_init(void) {
  reset_cause = avr_saved_mcusr & 0x0F;
  cli();
  avr_pwm_timers_init();
  /* timer1: free-running at 2 MHz (normal mode); OCR1A = control tick, OCR1B = servo pulses, overflow = clock. */
  TCCR1A = 0;
  TCCR1B = _BV(CS11);
  TCNT1 = 0;
  OCR1A = AVR_T1_TICKS_PER_MS;
  TIFR1 = 0xFF;
  TIMSK1 = _BV(OCIE1A) | _BV(TOIE1);
  avr_servo_init();
  avr_uart_init();
  avr_adc_init();
  sei();
  wdt_enable(WDTO_120MS);
}

uint8_t hal_reset_flags(void) { return reset_cause; }

uint8_t hal_mcu_type(void) {
#if defined(__AVR_ATmega2560__)
  return GNG_MCU_ATMEGA2560;
#else
  return GNG_MCU_ATMEGA328P;
#endif
}

uint16_t hal_caps(void) {
  return GNG_CAP_MOTORS | GNG_CAP_SERVOS | GNG_CAP_ANALOG | GNG_CAP_INPUTS | GNG_CAP_EEPROM_ID | GNG_CAP_HW_WATCHDOG;
}

uint32_t hal_micros(void) {
  uint8_t s = SREG;
  cli();
  uint16_t t = TCNT1;
  uint32_t base = t1_base_us;
  if ((TIFR1 & _BV(TOV1)) && t < 0x8000u) base += 32768u; /* overflowed, ISR not run yet */
  SREG = s;
  return base + (t >> 1);
}

uint32_t hal_millis(void) {
  uint8_t s = SREG;
  cli();
  uint32_t m = ms_now;
  SREG = s;
  return m;
}

uint8_t hal_ticks_take(void) {
  uint8_t s = SREG;
  cli();
  uint8_t n = ticks_pending;
  ticks_pending = 0;
  SREG = s;
  return n;
}

void hal_wdt_kick(void) { wdt_reset(); }

uint8_t avr_ticks_waiting(void) { return ticks_pending; }
