/* AVR entry point: initialise, then run the main loop forever (the hardware watchdog resets us if it ever stalls). */
#include "../hal.h"
#include "avr_hal.h"
#include "../../core/app.h"

void gng_idle(void);

int main(void) {
  hal_init();
  gng_init();
  for (;;) {
    gng_poll();
    avr_uart_pump();
    gng_idle();
  }
}
