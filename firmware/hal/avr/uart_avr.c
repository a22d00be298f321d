/* USART0 at 1 Mbaud: interrupt-driven RX into a 128-byte ring; TX polled from the idle loop out of frame slots the
   core builds in place, which costs a fraction of a per-byte UDRE interrupt at 1 kHz telemetry. */
#include <avr/interrupt.h>
#include <avr/io.h>
#include <string.h>
#include "../hal.h"
#include "avr_hal.h"
#include "../../core/gng_messages.h"

volatile uint8_t avr_rx_buf[AVR_RX_RING];
volatile uint8_t avr_rx_head, avr_rx_tail;
/* TX: frames are built in place in these slots and sent in order by the idle loop (avr_hal.h). */
uint8_t avr_tx_slot[AVR_TX_SLOTS][GNG_FRAME_MAX_BYTES];
uint8_t avr_tx_len[AVR_TX_SLOTS];
uint8_t avr_tx_head, avr_tx_count, avr_tx_left;
const uint8_t *avr_tx_next;

#if defined(USART0_RX_vect)
#define GNG_USART_RX_VECT USART0_RX_vect
#else
#define GNG_USART_RX_VECT USART_RX_vect
#endif

ISR(GNG_USART_RX_VECT) { avr_uart_rx_take(); }

void avr_uart_init(void) {
  UBRR0 = 1; /* 16 MHz / (8 * (1 + 1)) = 1,000,000 baud with U2X: exact */
  UCSR0A = _BV(U2X0);
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00); /* 8N1 */
  UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

uint8_t hal_rx_buffer_bytes(void) { return (uint8_t)AVR_RX_RING; }

uint8_t hal_serial_read(uint8_t *buf, uint8_t max) {
  uint8_t t = avr_rx_tail;
  uint8_t n = (uint8_t)((avr_rx_head - t) & AVR_RX_MASK); /* the bytes the ISR had stored when head was read */
  if (n > max) n = max;
  if (!n) return 0;
  __asm__ volatile("" ::: "memory"); /* read them only after head */
  /* At most two runs (the ring wraps once); the ISR only writes at head, so the bytes copied are stable. */
  uint8_t first = (uint8_t)(AVR_RX_RING - t);
  if (first > n) first = n;
  memcpy(buf, (const uint8_t *)&avr_rx_buf[t], first);
  if (first < n) memcpy(buf + first, (const uint8_t *)&avr_rx_buf[0], (uint8_t)(n - first));
  avr_rx_tail = (uint8_t)((t + n) & AVR_RX_MASK);
  return n;
}

uint8_t hal_serial_tx_busy(void) { return avr_tx_count >= AVR_TX_SLOTS; }

uint8_t *hal_serial_tx_frame(void) {
  /* Replies and events must not be lost (an e-stop event is never repeated), so wait for the oldest frame to finish:
     at most 64 byte times. The watchdog is far away (120 ms). */
  while (avr_tx_count >= AVR_TX_SLOTS) avr_uart_pump_inline();
  uint8_t i = (uint8_t)(avr_tx_head + avr_tx_count);
  if (i >= AVR_TX_SLOTS) i = (uint8_t)(i - AVR_TX_SLOTS);
  return avr_tx_slot[i]; /* the next free slot: the core builds one frame at a time */
}

void hal_serial_tx_send(uint8_t *frame, uint8_t len) {
  avr_tx_len[(uint8_t)((frame - &avr_tx_slot[0][0]) / GNG_FRAME_MAX_BYTES)] = len;
  if (avr_tx_count++ == 0) { /* the line was free: this frame goes out first */
    avr_tx_next = frame;
    avr_tx_left = len;
  }
  avr_uart_pump_inline();
}

void avr_uart_pump(void) { avr_uart_pump_inline(); }

void hal_serial_pump(void) { avr_uart_pump_inline(); }

uint8_t avr_uart_rx_waiting(void) { return avr_rx_tail != avr_rx_head; }
