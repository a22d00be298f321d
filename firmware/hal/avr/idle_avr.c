/* The idle loop of the AVR main loop. It is its own function (gng_idle, never inlined) so a CPU-load measurement can
   count the cycles spent here as idle: ISRs, the control step, frame handling and telemetry all run outside it.
   Polled TX lives here on purpose: moving a queued byte into the USART takes ~8 cycles and happens only when the CPU
   has nothing else to do, like a DMA channel would; an interrupt per byte would cost ~50 cycles of real work.
   With nothing to send it sleeps (idle mode: timers, USART and pin changes keep running and wake it). */
#include <avr/interrupt.h>
#include <avr/sleep.h>
#include "avr_hal.h"
#include "../../core/app.h"

void gng_idle(void) __attribute__((noinline));
void gng_idle(void) {
  set_sleep_mode(SLEEP_MODE_IDLE);
  /* The rest of a frame that is half in: its bytes are only stored until the last one comes, so they are taken in one
     pass (a control tick wakes the main loop every ms in any case, and it reads all that waits). */
  uint8_t want = gng_rx_wanted();
  /* Back to the main loop as soon as there is work: a received byte, a control tick, a queued EEPROM byte. */
  for (;;) {
    if (avr_uart_rx_count() >= want || avr_ticks_waiting() || avr_eeprom_work()) return;
    if (avr_tx_count) {
      avr_uart_pump_inline(); /* keep the line busy: a byte time is only 160 cycles */
      continue;
    }
    /* Check and sleep with interrupts off, re-enabled by the instruction before SLEEP: an interrupt that arrives
       after the check still wakes us (the AVR runs the instruction after SEI before taking it). */
    cli();
    if (avr_uart_rx_count() >= want || avr_ticks_waiting() || avr_eeprom_work()) {
      sei();
      return;
    }
    sleep_enable();
    sei();
    sleep_cpu();
    sleep_disable();
  }
}
