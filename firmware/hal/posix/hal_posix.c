/* The chip interface for a Linux process (like Klipper's Linux MCU): simulated pins, motor plant, EEPROM file. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "../hal.h"
#include "hal_posix.h"
#include "plant.h"
#include "../../core/gng_messages.h"

#define EEPROM_BYTES 1024u
#define MEM_BUF_BYTES 8192u
#define RX_BUFFER_BYTES 255u /* what identify_reply announces: the pty buffers far more, the field holds at most 255 */

enum { PIN_INPUT, PIN_OUTPUT, PIN_PWM };

typedef struct {
  uint8_t mode, level, pullup;
  uint8_t driven, drive_level; /* an external signal (tests) */
  uint16_t duty_permille;
  uint16_t adc;
} sim_pin_t;

typedef struct {
  uint8_t pwm_pin, dir_pin, dir2_pin;
  uint8_t enc_attached;
  plant_t plant;
} sim_motor_t;

static struct {
  sim_pin_t pin[HAL_POSIX_PINS];
  sim_motor_t motor[GNG_MAX_MOTORS];
  uint16_t servo_us[GNG_MAX_SERVOS];
  uint8_t servo_pin[GNG_MAX_SERVOS];
  uint8_t adc_pin[GNG_MAX_ANALOG];
  uint32_t next_tick_us;
} sim;

/* serial */
static int rx_fd = -1, tx_fd = -1, rx_eof, rx_ready = 1;
static uint8_t mem_rx[MEM_BUF_BYTES], mem_tx[MEM_BUF_BYTES];
static size_t mem_rx_n, mem_rx_off, mem_tx_n;

/* clock */
static int manual_clock;
static uint64_t manual_us;
static struct timespec t0;
static int t0_set;

/* EEPROM */
static uint8_t eeprom[EEPROM_BYTES];
static const char *eeprom_path;
static int eeprom_loaded;

/* ---- clock ---- */
static uint64_t now_us64(void) {
  if (manual_clock) return manual_us;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  if (!t0_set) {
    t0 = t;
    t0_set = 1;
  }
  return (uint64_t)(t.tv_sec - t0.tv_sec) * 1000000u + (uint64_t)((t.tv_nsec - t0.tv_nsec) / 1000);
}

uint32_t hal_micros(void) { return (uint32_t)now_us64(); }
uint32_t hal_millis(void) { return (uint32_t)(now_us64() / 1000u); }
void hal_posix_manual_clock(int on) { manual_clock = on; }
void hal_posix_advance_us(uint32_t us) { manual_us += us; }
uint32_t hal_posix_next_tick_us(void) { return sim.next_tick_us; }

static double drive_of(const sim_motor_t *m) {
  if (m->pwm_pin == GNG_PIN_NONE) return 0;
  const sim_pin_t *pw = &sim.pin[m->pwm_pin];
  double duty = pw->mode == PIN_PWM ? pw->duty_permille : 0;
  uint8_t in1 = m->dir_pin != GNG_PIN_NONE && sim.pin[m->dir_pin].level;
  if (m->dir2_pin == GNG_PIN_NONE) return in1 ? duty : -duty; /* PWM+DIR driver */
  uint8_t in2 = sim.pin[m->dir2_pin].level;
  if (in1 == in2) return 0; /* coast (both low) or brake (both high): no drive */
  return in1 ? duty : -duty;
}

uint8_t hal_ticks_take(void) {
  uint32_t now = hal_micros();
  if ((int32_t)(now - sim.next_tick_us) < 0) return 0;
  uint32_t n = (now - sim.next_tick_us) / 1000u + 1u;
  sim.next_tick_us += n * 1000u;
  /* The plant runs in simulated time even when we were late, so counts stay true to the elapsed time. */
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++) plant_step(&sim.motor[i].plant, drive_of(&sim.motor[i]), n * 1e-3);
  return (uint8_t)(n > 255u ? 255u : n);
}

/* ---- system ---- */
void hal_init(void) {
  memset(&sim, 0, sizeof sim);
  for (uint8_t i = 0; i < GNG_MAX_MOTORS; i++)
    sim.motor[i].pwm_pin = sim.motor[i].dir_pin = sim.motor[i].dir2_pin = GNG_PIN_NONE;
  for (uint8_t i = 0; i < HAL_POSIX_PINS; i++) sim.pin[i].adc = 512; /* a pot at mid travel */
  sim.next_tick_us = hal_micros() + 1000u;
  if (!eeprom_loaded) {
    memset(eeprom, 0xFF, sizeof eeprom); /* erased EEPROM */
    if (eeprom_path) {
      FILE *f = fopen(eeprom_path, "rb");
      if (f) {
        size_t n = fread(eeprom, 1, sizeof eeprom, f);
        (void)n;
        fclose(f);
      }
    }
    eeprom_loaded = 1;
  }
}

uint8_t hal_reset_flags(void) { return HAL_RESET_POWER_ON; }
uint8_t hal_mcu_type(void) { return GNG_MCU_POSIX; }
uint16_t hal_caps(void) {
  return GNG_CAP_MOTORS | GNG_CAP_SERVOS | GNG_CAP_ANALOG | GNG_CAP_INPUTS | GNG_CAP_EEPROM_ID;
}
uint8_t hal_rx_buffer_bytes(void) { return RX_BUFFER_BYTES; }
void hal_wdt_kick(void) {}

/* ---- serial ---- */
void hal_posix_serial_fds(int r, int t) {
  rx_fd = r;
  tx_fd = t;
  rx_eof = 0;
}

void hal_posix_serial_memory(void) {
  rx_fd = tx_fd = -1;
  mem_rx_n = mem_rx_off = mem_tx_n = 0;
}

int hal_posix_rx_eof(void) { return rx_eof; }
void hal_posix_rx_ready(int ready) { rx_ready = ready; }

void hal_posix_inject_rx(const uint8_t *buf, size_t n) {
  if (mem_rx_off == mem_rx_n) mem_rx_off = mem_rx_n = 0;
  if (n > sizeof mem_rx - mem_rx_n) n = sizeof mem_rx - mem_rx_n;
  memcpy(mem_rx + mem_rx_n, buf, n);
  mem_rx_n += n;
}

size_t hal_posix_take_tx(uint8_t *buf, size_t max) {
  size_t n = mem_tx_n < max ? mem_tx_n : max;
  memcpy(buf, mem_tx, n);
  memmove(mem_tx, mem_tx + n, mem_tx_n - n);
  mem_tx_n -= n;
  return n;
}

uint8_t hal_serial_read(uint8_t *buf, uint8_t max) {
  if (rx_fd < 0) {
    size_t n = mem_rx_n - mem_rx_off;
    if (n > max) n = max;
    memcpy(buf, mem_rx + mem_rx_off, n);
    mem_rx_off += n;
    return (uint8_t)n;
  }
  if (!rx_ready) return 0;
  ssize_t n = read(rx_fd, buf, max);
  if (n == 0) rx_eof = 1;
  /* A short read drained the fd: the next call would only get EAGAIN until poll() says otherwise. */
  if (n < (ssize_t)max) rx_ready = 0;
  return n > 0 ? (uint8_t)n : 0;
}

/* One frame buffer is enough: a frame is written out (or dropped) as soon as it is queued. */
static uint8_t tx_frame[GNG_FRAME_MAX_BYTES];
uint8_t *hal_serial_tx_frame(void) { return tx_frame; }
uint8_t hal_serial_tx_busy(void) { return 0; }

void hal_serial_tx_send(uint8_t *buf, uint8_t len) {
  if (tx_fd < 0) {
    if (len > sizeof mem_tx - mem_tx_n) return; /* a host that stopped reading: drop, like a full UART buffer */
    memcpy(mem_tx + mem_tx_n, buf, len);
    mem_tx_n += len;
    return;
  }
  size_t off = 0;
  int waits = 0;
  while (off < len) {
    ssize_t n = write(tx_fd, buf + off, len - off);
    if (n > 0) {
      off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    /* Nobody reading (no host on the pty yet): drop whole frames rather than stall the control loop. A frame cut
       in half is rare and the host's parser resyncs past it. */
    if (off == 0 || waits++ > 2) return;
    struct pollfd p = {tx_fd, POLLOUT, 0};
    poll(&p, 1, 1);
  }
}

void hal_serial_pump(void) {} /* frames are written when queued */

/* ---- pins: every one of 0..87 can do everything; none is reserved (the link is not on a pin) ---- */
uint8_t hal_pin_caps(uint8_t pin) {
  if (pin >= HAL_POSIX_PINS) return 0;
  return HAL_PIN_EXISTS | HAL_PIN_PWM | HAL_PIN_IRQ | HAL_PIN_ADC;
}

void hal_gpio_output(uint8_t pin, uint8_t level) {
  sim.pin[pin].mode = PIN_OUTPUT;
  sim.pin[pin].level = level ? 1 : 0;
}

void hal_gpio_input(uint8_t pin, uint8_t pullup) {
  sim.pin[pin].mode = PIN_INPUT;
  sim.pin[pin].level = 0;
  sim.pin[pin].pullup = pullup ? 1 : 0;
}

void hal_gpio_release(uint8_t pin) { hal_gpio_input(pin, 0); }
void hal_gpio_write(uint8_t pin, uint8_t level) { sim.pin[pin].level = level ? 1 : 0; }

uint8_t hal_gpio_read(uint8_t pin) {
  const sim_pin_t *p = &sim.pin[pin];
  if (p->mode != PIN_INPUT) return p->level;
  if (p->driven) return p->drive_level;
  return p->pullup; /* an open input with the pull-up reads high; without one we call it low */
}

void hal_pwm_attach(uint8_t pin) {
  sim.pin[pin].mode = PIN_PWM;
  sim.pin[pin].duty_permille = 0;
  sim.pin[pin].level = 0;
}

void hal_pwm_write(uint8_t pin, uint16_t duty_permille) { sim.pin[pin].duty_permille = duty_permille; }

/* ---- encoders read the plant ---- */
void hal_encoder_attach(uint8_t ch, uint8_t a_pin, uint8_t b_pin) {
  (void)a_pin;
  (void)b_pin;
  sim.motor[ch].enc_attached = 1;
}
void hal_encoder_detach(uint8_t ch) { sim.motor[ch].enc_attached = 0; }
uint16_t hal_encoder_raw(uint8_t ch) {
  return sim.motor[ch].enc_attached ? (uint16_t)(int32_t)floor(sim.motor[ch].plant.pos_counts) : 0;
}

void hal_motor_bind(uint8_t ch, uint8_t pwm_pin, uint8_t dir_pin, uint8_t dir2_pin) {
  sim.motor[ch].pwm_pin = pwm_pin;
  sim.motor[ch].dir_pin = dir_pin;
  sim.motor[ch].dir2_pin = dir2_pin;
}

/* ---- servos ---- */
void hal_servo_attach(uint8_t ch, uint8_t pin) {
  sim.servo_pin[ch] = pin;
  sim.servo_us[ch] = 0;
  hal_gpio_output(pin, 0);
}
void hal_servo_detach(uint8_t ch) { sim.servo_us[ch] = 0; }
void hal_servo_write(uint8_t ch, uint16_t pulse_us) { sim.servo_us[ch] = pulse_us; }

/* ---- ADC ---- */
void hal_adc_attach(uint8_t ch, uint8_t pin) { sim.adc_pin[ch] = pin; }
void hal_adc_detach(uint8_t ch) { (void)ch; }
void hal_adc_service(void) {}
uint16_t hal_adc_read(uint8_t ch) { return sim.pin[sim.adc_pin[ch]].adc; }

/* ---- EEPROM: written through to the file at once (a Linux write does not take 3.3 ms a byte) ---- */
void hal_posix_eeprom_file(const char *path) {
  eeprom_path = path;
  eeprom_loaded = 0;
}

void hal_eeprom_read(uint16_t addr, uint8_t *buf, uint8_t len) {
  for (uint8_t i = 0; i < len; i++) buf[i] = (uint16_t)(addr + i) < EEPROM_BYTES ? eeprom[addr + i] : 0xFF;
}

void hal_eeprom_write(uint16_t addr, const uint8_t *buf, uint8_t len) {
  for (uint8_t i = 0; i < len; i++)
    if ((uint16_t)(addr + i) < EEPROM_BYTES) eeprom[addr + i] = buf[i];
  if (!eeprom_path) return;
  FILE *f = fopen(eeprom_path, "wb");
  if (!f) return;
  size_t n = fwrite(eeprom, 1, sizeof eeprom, f);
  (void)n;
  fclose(f);
}

void hal_eeprom_service(void) {}

/* ---- test controls ---- */
void hal_posix_drive_pin(uint8_t pin, uint8_t level) {
  sim.pin[pin].driven = 1;
  sim.pin[pin].drive_level = level ? 1 : 0;
}
void hal_posix_float_pin(uint8_t pin) { sim.pin[pin].driven = 0; }
uint8_t hal_posix_pin_level(uint8_t pin) { return sim.pin[pin].level; }
uint16_t hal_posix_pwm_permille(uint8_t pin) { return sim.pin[pin].mode == PIN_PWM ? sim.pin[pin].duty_permille : 0; }
uint16_t hal_posix_servo_us(uint8_t ch) { return sim.servo_us[ch]; }
void hal_posix_set_adc(uint8_t pin, uint16_t value) { sim.pin[pin].adc = value; }
int32_t hal_posix_plant_counts(uint8_t ch) { return (int32_t)floor(sim.motor[ch].plant.pos_counts); }
int32_t hal_posix_plant_vel_cps(uint8_t ch) { return (int32_t)lround(sim.motor[ch].plant.vel_cps); }
