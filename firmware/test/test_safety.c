/* The paths to safe outputs: disarm, link watchdog, e-stop, limit switches; and config refusals. */
#include "harness.h"
#include "state.h"
#include "../hal/posix/hal_posix.h"

/* Pins: motor 0 on PD6 (PWM) / PD7 (dir) / PB0 (dir2) / encoder PD2, PD3; limits PC0 (neg), PC1 (pos). */
#define PWM 30
#define DIR 31
#define DIR2 8
#define ENC_A 26
#define ENC_B 27
#define LIM_NEG 16
#define LIM_POS 17
#define ESTOP 18
#define SERVO 13

static void setup_armed(void) {
  t_boot();
  t_simple(GNG_MSG_IDENTIFY);
  t_config_link(100, 1000, 1);
  t_config_motor(0, PWM, DIR, DIR2, ENC_A, ENC_B, LIM_NEG, LIM_POS, GNG_MOTOR_FLAG_LIMIT_ACTIVE_LOW, 800);
  t_config_servo(0, SERVO, 1000, 2000, 1500);
  t_simple(GNG_MSG_ARM);
  CHECK(gng_armed());
  t_forget();
}

/* 1 if the latest event is code */
static int event_count(uint8_t code) {
  const t_msg_t *m = t_last(GNG_MSG_EVENT);
  return m && m->body[0] == code;
}

static void outputs_follow_pwm_mode_and_pins(void) {
  setup_armed();
  t_set_motor(0, GNG_MODE_PWM, 500);
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 500);
  CHECK_EQ(hal_posix_pin_level(DIR), 1);
  CHECK_EQ(hal_posix_pin_level(DIR2), 0);
  t_set_motor(0, GNG_MODE_PWM, -2000); /* clamped to max_pwm 800 */
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 800);
  CHECK_EQ(hal_posix_pin_level(DIR), 0);
  CHECK_EQ(hal_posix_pin_level(DIR2), 1);
  CHECK_EQ(t_telemetry().out_permille[0], -800);
  t_set_motor(0, GNG_MODE_PWM, 0); /* zero: coast, both low */
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK_EQ(hal_posix_pin_level(DIR), 0);
  CHECK_EQ(hal_posix_pin_level(DIR2), 0);
}

static void invert_dir_flips_pins(void) {
  setup_armed();
  t_config_motor(0, PWM, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, GNG_MOTOR_FLAG_INVERT_DIR, 1000);
  t_set_motor(0, GNG_MODE_PWM, 300);
  t_run_ms(2);
  CHECK_EQ(hal_posix_pin_level(DIR), 0);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 300);
  CHECK_EQ(t_telemetry().out_permille[0], 300);
}

static void setpoints_ignored_while_disarmed(void) {
  setup_armed();
  t_simple(GNG_MSG_DISARM);
  CHECK(t_last(GNG_MSG_EVENT) && t_last(GNG_MSG_EVENT)->body[0] == GNG_EVENT_DISARMED);
  t_set_motor(0, GNG_MODE_PWM, 500);
  uint8_t p[4] = {GNG_MSG_SET_SERVO, 0, 0xD0, 0x07}; /* 2000 us */
  t_send(p, 4);
  t_run_ms(5);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK_EQ(hal_posix_servo_us(0), 1500);
  CHECK(t_telemetry().faults & GNG_FAULT_DISARMED);
}

static void disarm_restores_defaults(void) {
  setup_armed();
  t_set_motor(0, GNG_MODE_PWM, 500);
  uint8_t p[4] = {GNG_MSG_SET_SERVO, 0, 0xD0, 0x07};
  t_send(p, 4);
  t_run_ms(2);
  CHECK_EQ(hal_posix_servo_us(0), 2000);
  t_simple(GNG_MSG_DISARM);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK_EQ(hal_posix_pin_level(DIR), 0);
  CHECK_EQ(hal_posix_servo_us(0), 1500);
}

static void servo_clamps(void) {
  setup_armed();
  uint8_t lo[4] = {GNG_MSG_SET_SERVO, 0, 100, 0}, hi[4] = {GNG_MSG_SET_SERVO, 0, 0xFF, 0xFF},
          off[4] = {GNG_MSG_SET_SERVO, 0, 0, 0}, bad[4] = {GNG_MSG_SET_SERVO, 7, 0xDC, 0x05};
  t_send(lo, 4);
  CHECK_EQ(hal_posix_servo_us(0), 1000);
  t_send(hi, 4);
  CHECK_EQ(hal_posix_servo_us(0), 2000);
  t_send(off, 4);
  CHECK_EQ(hal_posix_servo_us(0), 0);
  t_send(bad, 4);
  const t_msg_t *e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_INDEX && e->body[2] == 7);
  t_run_ms(1);
  CHECK_EQ(t_status().servo_us[0], 0);
}

static void watchdog_trips_after_window_and_needs_arm(void) {
  setup_armed();
  t_set_motor(0, GNG_MODE_PWM, 400);
  t_run_ms(100); /* exactly the window: still fine */
  CHECK(gng_armed());
  CHECK_EQ(hal_posix_pwm_permille(PWM), 400);
  t_run_ms(1);
  CHECK(!gng_armed());
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK_EQ(hal_posix_servo_us(0), 1500);
  gng_telemetry_t t = t_telemetry();
  CHECK_EQ(t.faults & (GNG_FAULT_WATCHDOG_TRIPPED | GNG_FAULT_DISARMED),
           GNG_FAULT_WATCHDOG_TRIPPED | GNG_FAULT_DISARMED);
  CHECK(event_count(GNG_EVENT_WATCHDOG_TRIP));
  /* traffic alone does not recover */
  t_simple(GNG_MSG_HEARTBEAT);
  t_set_motor(0, GNG_MODE_PWM, 400);
  t_run_ms(2);
  CHECK(!gng_armed());
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  t_simple(GNG_MSG_ARM);
  CHECK(gng_armed());
  t_run_ms(1);
  CHECK_EQ(t_telemetry().faults & GNG_FAULT_WATCHDOG_TRIPPED, 0);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0); /* a stale setpoint does not resume by itself */
}

static void heartbeats_keep_it_alive(void) {
  setup_armed();
  t_config_link(50, 100, 1);
  for (int i = 0; i < 20; i++) {
    t_run_ms(40);
    t_simple(GNG_MSG_HEARTBEAT);
  }
  CHECK(gng_armed());
  t_run_ms(51);
  CHECK(!gng_armed());
}

static void watchdog_idle_while_disarmed(void) {
  t_boot();
  t_run_ms(500);
  CHECK_EQ(t_telemetry().faults & GNG_FAULT_WATCHDOG_TRIPPED, 0);
}

static void estop_trips_within_a_tick_and_latches(void) {
  setup_armed();
  t_config_input(0, ESTOP, GNG_INPUT_ROLE_ESTOP, GNG_INPUT_FLAG_PULLUP | GNG_INPUT_FLAG_ACTIVE_LOW);
  t_set_motor(0, GNG_MODE_PWM, 600);
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 600);
  hal_posix_drive_pin(ESTOP, 0); /* pressed: pulls the line low */
  t_run_ms(1);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK(!gng_armed());
  CHECK(t_telemetry().faults & GNG_FAULT_ESTOP);
  CHECK(event_count(GNG_EVENT_ESTOP));
  /* arm refused while pressed */
  t_simple(GNG_MSG_ARM);
  const t_msg_t *e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_VALUE && e->body[1] == GNG_MSG_ARM);
  CHECK(!gng_armed());
  /* released: still latched until arm */
  hal_posix_float_pin(ESTOP);
  t_run_ms(2);
  CHECK(t_telemetry().faults & GNG_FAULT_ESTOP);
  t_simple(GNG_MSG_ARM);
  CHECK(gng_armed());
  t_run_ms(1);
  CHECK_EQ(t_telemetry().faults & GNG_FAULT_ESTOP, 0);
  t_run_ms(20);
  CHECK_EQ(t_status().inputs & 1, 0);
}

static void limit_switch_blocks_one_direction(void) {
  setup_armed();
  t_set_motor(0, GNG_MODE_PWM, 500);
  t_run_ms(2);
  t_forget();
  hal_posix_drive_pin(LIM_POS, 0); /* active low: hit */
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 0);
  CHECK(t_telemetry().faults & GNG_FAULT_LIMIT);
  CHECK_EQ(t_count(GNG_MSG_EVENT), 1); /* once per activation */
  const t_msg_t *ev = t_last(GNG_MSG_EVENT);
  CHECK(ev && ev->body[0] == GNG_EVENT_LIMIT_HIT && ev->body[1] == 0);
  CHECK_EQ(t_status().inputs & 0x10, 0x10);
  t_set_motor(0, GNG_MODE_PWM, -500); /* away from the switch: allowed */
  t_run_ms(2);
  CHECK_EQ(hal_posix_pwm_permille(PWM), 500);
  CHECK_EQ(t_telemetry().out_permille[0], -500);
  CHECK(gng_armed()); /* a limit does not disarm */
  hal_posix_float_pin(LIM_POS);
  t_run_ms(2);
  CHECK_EQ(t_telemetry().faults & GNG_FAULT_LIMIT, 0);
  hal_posix_drive_pin(LIM_POS, 0);
  t_run_ms(2);
  CHECK_EQ(t_count(GNG_MSG_EVENT), 2); /* a new activation, a new event */
}

static void config_refusals(void) {
  t_boot();
  t_config_motor(4, PWM, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1000);
  const t_msg_t *e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_INDEX && e->body[1] == GNG_MSG_CONFIG_MOTOR && e->body[2] == 4);
  t_config_motor(0, 99, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1000);
  e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_PIN && e->body[2] == 99);
  t_config_motor(0, PWM, DIR, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1000);
  e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_PIN_IN_USE && e->body[2] == DIR);
  t_config_motor(0, PWM, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1001);
  e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_VALUE);
  t_run_ms(5);
  CHECK(t_telemetry().faults & GNG_FAULT_CONFIG_ERROR);
  CHECK(t_telemetry().faults & GNG_FAULT_UNCONFIGURED);
  t_forget();
  t_config_motor(0, PWM, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1000);
  CHECK(t_last_error() == NULL);
  t_run_ms(5);
  CHECK_EQ(t_telemetry().faults & (GNG_FAULT_CONFIG_ERROR | GNG_FAULT_UNCONFIGURED), 0);
  /* a pin another channel holds */
  t_config_servo(1, DIR, 1000, 2000, 0);
  e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_PIN_IN_USE && e->body[1] == GNG_MSG_CONFIG_SERVO && e->body[2] == DIR);
  t_config_servo(1, SERVO, 400, 2000, 0);
  e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_BAD_VALUE);
  /* re-wiring a channel may reuse its own pins */
  t_forget();
  t_config_motor(0, PWM, 0xFF, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0, 1000);
  CHECK(t_last_error() == NULL);
  /* set_position on an unwired motor */
  uint8_t p[6] = {GNG_MSG_SET_POSITION, 2, 0, 0, 0, 0};
  t_send(p, 6);
  e = t_last_error();
  CHECK(e && e->body[0] == GNG_ERR_NOT_CONFIGURED);
}

/* The limits the firmware refuses beyond are exactly the message table's ranges (GNG_MSG_*_MIN/_MAX), both edges. */
static uint8_t refused_value(void) {
  const t_msg_t *e = t_last_error();
  uint8_t r = e && e->body[0] == GNG_ERR_BAD_VALUE;
  t_forget();
  return r;
}

static void ranges_are_the_tables(void) {
  t_boot();
  t_forget();
  t_config_servo(0, SERVO, GNG_MSG_CONFIG_SERVO_MIN_US_MIN, GNG_MSG_CONFIG_SERVO_MAX_US_MAX, 0);
  CHECK(!refused_value());
  t_config_servo(0, SERVO, GNG_MSG_CONFIG_SERVO_MIN_US_MIN - 1, GNG_MSG_CONFIG_SERVO_MAX_US_MAX, 0);
  CHECK(refused_value());
  t_config_servo(0, SERVO, GNG_MSG_CONFIG_SERVO_MIN_US_MIN, GNG_MSG_CONFIG_SERVO_MAX_US_MAX + 1, 0);
  CHECK(refused_value());
  t_config_motor(0, PWM, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, GNG_MSG_CONFIG_MOTOR_MAX_PWM_PERMILLE_MAX);
  CHECK(!refused_value());
  t_config_motor(0, PWM, DIR, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, GNG_MSG_CONFIG_MOTOR_MAX_PWM_PERMILLE_MAX + 1);
  CHECK(refused_value());
  t_config_link(0, GNG_MSG_CONFIG_LINK_TELEMETRY_HZ_MAX, GNG_MSG_CONFIG_LINK_STATUS_DIV_MIN);
  CHECK(!refused_value());
  t_config_link(0, GNG_MSG_CONFIG_LINK_TELEMETRY_HZ_MAX + 1, GNG_MSG_CONFIG_LINK_STATUS_DIV_MIN);
  CHECK(refused_value());
  t_config_link(0, GNG_MSG_CONFIG_LINK_TELEMETRY_HZ_MAX, GNG_MSG_CONFIG_LINK_STATUS_DIV_MIN - 1);
  CHECK(refused_value());
  CHECK_EQ(GNG_MSG_CONFIG_SERVO_MIN_US_MIN, 500); /* the figures the protocol doc states */
  CHECK_EQ(GNG_MSG_CONFIG_SERVO_MAX_US_MAX, 2500);
}

int main(void) {
  RUN(outputs_follow_pwm_mode_and_pins);
  RUN(invert_dir_flips_pins);
  RUN(setpoints_ignored_while_disarmed);
  RUN(disarm_restores_defaults);
  RUN(servo_clamps);
  RUN(watchdog_trips_after_window_and_needs_arm);
  RUN(heartbeats_keep_it_alive);
  RUN(watchdog_idle_while_disarmed);
  RUN(estop_trips_within_a_tick_and_latches);
  RUN(limit_switch_blocks_one_direction);
  RUN(config_refusals);
  RUN(ranges_are_the_tables);
  return t_summary("test_safety");
}
