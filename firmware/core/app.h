/* The firmware's top level: boot, the main loop body, and the byte entry point; shared by every target. */
#ifndef GNG_APP_H
#define GNG_APP_H
#include <stdint.h>

void gng_init(void);                          /* after hal_init(): safe defaults, then event{BOOT} */
void gng_rx_bytes(const uint8_t *buf, uint8_t n); /* feed received bytes; replies are sent before it returns */
void gng_poll(void);                          /* one main loop iteration: serial, control tick, acks, watchdogs */
void gng_flush(void);                         /* send what is queued now */
/* Received bytes the main loop needs before handling them is worth a pass (1 unless a frame is half in): a hal whose
   idle loop would wake for every byte can sleep on until this many are waiting (a control tick still wakes it). */
uint8_t gng_rx_wanted(void);

#endif
