/* Internals shared by the AVR hal files (not part of the chip interface). */
#ifndef GNG_AVR_HAL_H
#define GNG_AVR_HAL_H
#include <stdint.h>
#include <avr/io.h>

#define AVR_T1_TICKS_PER_MS 2000u /* timer1 at clk/8 = 2 MHz: 0.5 us resolution */

void avr_uart_init(void);
void avr_uart_pump(void); /* move queued TX bytes into the USART; called from the main loop */
void avr_servo_init(void);
void avr_adc_init(void);

/* Work the main loop must do, for gng_idle() (idle_avr.c) to wait on. */
uint8_t avr_uart_rx_waiting(void);
uint8_t avr_ticks_waiting(void);
extern uint8_t avr_eeprom_pending;
__attribute__((always_inline)) static inline uint8_t avr_eeprom_work(void) {
  return avr_eeprom_pending && !(EECR & _BV(EEPE));
}

/* Polled TX: frame slots the idle loop drains into the USART (uart_avr.c). One on the wire, one being built, and two
   queued: with the closed loops keeping the CPU ~90 % busy the line is pumped in bursts, and the fourth slot holds a
   frame through a gap where three skipped telemetry (bench 1: VELOCITY lost 1 -> 0 frames, POSITION 262 -> 217) and
   the main loop no longer spins waiting for a slot as often (POSITION busy 91.6 -> 88.4 %). 65 bytes of RAM; a
   queued frame delays the next event by at most one frame's wire time (450 us). */
#define AVR_TX_SLOTS 4u
#define AVR_TX_SLOT_BYTES 64u /* GNG_FRAME_MAX_BYTES */
extern uint8_t avr_tx_slot[AVR_TX_SLOTS][AVR_TX_SLOT_BYTES];
extern uint8_t avr_tx_len[AVR_TX_SLOTS];
/* Slot on the wire and slots queued (that one included); that frame's next byte and how many of its bytes are left. A
   pointer and a count rather than slot and index: the pump runs for every byte, often in the busy path, and
   avr_tx_slot[head][pos] cost a multiply and three loads a byte (~42 cycles a byte, ~25 now). */
extern uint8_t avr_tx_head, avr_tx_count, avr_tx_left;
extern const uint8_t *avr_tx_next;
__attribute__((always_inline)) static inline void avr_uart_pump_inline(void) {
  /* UDR0 plus the shift register take up to two bytes at once. */
  while (avr_tx_count && (UCSR0A & _BV(UDRE0))) {
    UDR0 = *avr_tx_next++;
    if (--avr_tx_left == 0) {
      avr_tx_head = (uint8_t)(avr_tx_head + 1u == AVR_TX_SLOTS ? 0u : avr_tx_head + 1u);
      if (--avr_tx_count) {
        avr_tx_next = avr_tx_slot[avr_tx_head];
        avr_tx_left = avr_tx_len[avr_tx_head];
      }
    }
  }
}

/* RX ring (uart_avr.c), filled by the USART RX interrupt and also by the pin-change interrupt: at 1 Mbaud the USART
   holds only two bytes (320 cycles), and a burst of encoder edges can keep the RX interrupt waiting longer than that. */
#define AVR_RX_RING 128u /* announced in identify_reply: the host keeps fewer bytes than this in flight */
#define AVR_RX_MASK (AVR_RX_RING - 1u)
extern volatile uint8_t avr_rx_buf[AVR_RX_RING];
extern volatile uint8_t avr_rx_head, avr_rx_tail;
__attribute__((always_inline)) static inline void avr_uart_rx_take(void) {
  uint8_t b = UDR0, h = avr_rx_head, next = (uint8_t)((h + 1u) & AVR_RX_MASK);
  if (next != avr_rx_tail) { /* full: drop the byte; the frame CRC turns it into a counted, retransmitted frame */
    avr_rx_buf[h] = b;
    avr_rx_head = next;
  }
}

__attribute__((always_inline)) static inline uint8_t avr_uart_rx_count(void) {
  return (uint8_t)((avr_rx_head - avr_rx_tail) & AVR_RX_MASK);
}

/* PORTx register and bit mask of a pin (the pin is valid: the core checked hal_pin_caps()). */
volatile uint8_t *avr_port_of(uint8_t pin);
uint8_t avr_mask_of(uint8_t pin);

#endif
