/* Streams telemetry at telemetry_hz and status every status_div telemetry frames, unacked. */
#ifndef GNG_TELEMETRY_H
#define GNG_TELEMETRY_H
#include <stdint.h>

/* Once per control tick, after the motors ran; time_us is when the tick's inputs were sampled. */
void gng_telemetry_tick(uint32_t time_us);
/* The telemetry message (id + GNG_MSG_TELEMETRY_SIZE bytes) of the current state; exposed for tests. */
void gng_telemetry_encode(uint8_t *p, uint32_t time_us);

#endif
