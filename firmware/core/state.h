/* The firmware's whole state in one struct, so boot, a unit test or a fuzz input resets it with one call. */
#ifndef GNG_STATE_H
#define GNG_STATE_H
#include <stdint.h>
#include "gng_messages.h"
#include "frame_rx.h"
#include "outbox.h"
#include "pid.h"
#include "traj.h"

#define GNG_DEFAULT_WATCHDOG_MS 100u
#define GNG_DEFAULT_TELEMETRY_HZ 200u
#define GNG_DEFAULT_STATUS_DIV 10u
#define GNG_LAZY_ACK_MS 4u        /* [ms] without telemetry, a stream-only frame gets an empty ack after this */
#define GNG_LAZY_ACK_MIN_HZ 50u   /* [Hz] telemetry at least this fast carries the acks of stream-only frames */
#define GNG_NODE_ID_EEPROM_ADDR 0u
#define GNG_NODE_ID_BYTES 8u

/* Bits of gng_motor_t.limits (and the order of the limit pins in config_motor). */
#define GNG_LIMIT_NEG 0x01u
#define GNG_LIMIT_POS 0x02u

typedef struct {
  /* wiring: config_motor */
  uint8_t pwm_pin, dir_pin, dir2_pin, enc_a_pin, enc_b_pin, limit_neg_pin, limit_pos_pin;
  uint8_t flags;             /* GNG_MOTOR_FLAG_* */
  uint16_t max_pwm_permille; /* [permille] output clamp */
  /* closed loop: config_pid */
  gng_pid_t pid;
  gng_traj_t traj;
  /* setpoint: set_motors */
  uint8_t mode;              /* GNG_MODE_* */
  int32_t setpoint;          /* PWM [permille], VELOCITY [counts/tick Q16], POSITION [counts Q24.8] */
  /* measurement */
  int32_t pos;               /* [counts] the hal's 16-bit counter extended to 32 bits */
  uint16_t enc_last;         /* hal counter at the previous tick */
  int32_t vel_q4;            /* [counts/s Q28.4] low-pass filtered velocity */
  int16_t vel_cps;           /* [counts/s] vel_q4 saturated to int16, as telemetry carries it */
  int16_t vel_prev_cps;      /* [counts/s] previous tick, for the velocity-mode D term */
  int16_t out_permille;      /* [permille] signed output applied to the pins */
  uint8_t limits;            /* GNG_LIMIT_* switches active now */
  /* The last velocity setpoint converted, and its value in per-tick units: a stream that repeats its setpoint at
     1 kHz is converted once (gng_cps_to_q16 is a pure function, ~200 cycles on AVR). Last in the struct: fields the
     1 kHz step reads stay within the 63 bytes AVR addresses from a pointer in one instruction. */
  int32_t vel_in_cps, vel_in_q16;
} gng_motor_t;

typedef struct {
  uint8_t pin;
  uint16_t min_us, max_us, default_us; /* [us] */
  uint16_t pulse_us;                   /* [us] being output, 0 = none */
} gng_servo_t;

typedef struct {
  uint8_t pin, role, flags;
  uint8_t active; /* sampled each tick */
} gng_input_t;

typedef struct {
  gng_frame_rx_t rx;
  uint32_t rx_byte_ms;       /* [ms] when bytes were last received (gng_frame_rx_idle after GNG_FRAME_IDLE_MS) */
  gng_outbox_t out;
  /* link: sequencing and watchdog */
  uint8_t expected_seq;      /* next host seq we will apply; every MCU->host frame carries it as the ack */
  uint16_t seq_errors;
  uint16_t payload_errors;   /* frames with a valid CRC but an invalid payload (counted into status.crc_errors) */
  uint32_t applied_frames;   /* in-sequence frames applied since the last identify (status.applied_frames) */
  uint16_t applied_sum1;     /* sum of their payload bytes, mod 2^16 (status.applied_sum, low half) */
  uint16_t applied_sum2;     /* sum of the running sum1 after each byte, mod 2^16 (high half): order-sensitive */
  uint16_t watchdog_ms;      /* [ms] link watchdog window */
  uint32_t last_rx_ms;       /* [ms] when the last in-sequence frame arrived */
  uint8_t lazy_ack;          /* a stream-only frame waits to be acked */
  uint32_t lazy_ack_ms;      /* [ms] when it arrived */
  /* telemetry */
  uint16_t telemetry_hz;     /* [Hz] 0 = off */
  uint8_t status_div;        /* status every Nth telemetry frame */
  uint16_t tel_phase;        /* rate accumulator: += telemetry_hz per tick, a frame per 1000 */
  uint8_t status_phase;
  uint16_t tel_counter, status_counter;
  /* safety */
  uint8_t faults;            /* GNG_FAULT_* (OVERRUN is added per frame from overrun_pending) */
  uint8_t overrun_pending;   /* an overrun happened since the last telemetry frame */
  uint16_t overruns;
  uint8_t estop_active;      /* the e-stop input, sampled each tick */
  /* wiring */
  gng_motor_t motor[GNG_MAX_MOTORS];
  gng_servo_t servo[GNG_MAX_SERVOS];
  uint8_t analog_pin[GNG_MAX_ANALOG];
  gng_input_t input[GNG_MAX_INPUTS];
  uint8_t node_id[GNG_NODE_ID_BYTES];
  uint8_t reset_flags;       /* HAL_RESET_* at boot */
} gng_state_t;

extern gng_state_t gng;

static inline uint8_t gng_armed(void) { return !(gng.faults & GNG_FAULT_DISARMED); }

#endif
