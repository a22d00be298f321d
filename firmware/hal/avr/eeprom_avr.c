/* EEPROM in the background: an AVR EEPROM byte takes 3.3 ms to write, so a blocking 8-byte write would cost 27 control
   ticks. Writes are queued and one byte is written per main loop pass when the EEPROM is idle. */
#include <avr/eeprom.h>
#include <avr/io.h>
#include "../hal.h"

#define QUEUE_BYTES 16u

static uint8_t q_data[QUEUE_BYTES];
static uint16_t q_addr;
static uint8_t q_len, q_done;
uint8_t avr_eeprom_pending; /* bytes queued: the idle loop must not sleep through them (avr_hal.h) */

void hal_eeprom_read(uint16_t addr, uint8_t *buf, uint8_t len) {
  for (uint8_t i = 0; i < len; i++) {
    uint16_t a = (uint16_t)(addr + i);
    /* Bytes still queued are newer than what the EEPROM holds. */
    if (q_done < q_len && a >= q_addr + q_done && a < q_addr + q_len) buf[i] = q_data[a - q_addr];
    else buf[i] = eeprom_read_byte((const uint8_t *)a);
  }
}

void hal_eeprom_write(uint16_t addr, const uint8_t *buf, uint8_t len) {
  if (len > QUEUE_BYTES) len = QUEUE_BYTES;
  /* A rewrite of the same bytes (another set_node_id) simply replaces the queue. Anything else queued is finished
     first, blocking at most 16 x 3.3 ms; nothing issues such writes today. */
  while (q_done < q_len && !(addr == q_addr && len == q_len)) {
    eeprom_busy_wait();
    hal_eeprom_service();
  }
  for (uint8_t i = 0; i < len; i++) q_data[i] = buf[i];
  q_addr = addr;
  q_len = len;
  q_done = 0;
  avr_eeprom_pending = len != 0;
}

void hal_eeprom_service(void) {
  if (q_done >= q_len || !eeprom_is_ready()) return;
  eeprom_update_byte((uint8_t *)(q_addr + q_done), q_data[q_done]); /* update: skips bytes already equal */
  q_done++;
  avr_eeprom_pending = q_done < q_len;
}
