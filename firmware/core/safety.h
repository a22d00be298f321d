/* Arming, the link watchdog, the e-stop input and limit switches: the paths that put outputs to their defaults. */
#ifndef GNG_SAFETY_H
#define GNG_SAFETY_H
#include <stdint.h>

void gng_outputs_default(void);  /* every motor off (coast), every servo at default_us */
void gng_arm(void);              /* emits ARMED, or error{BAD_VALUE, arm} while the e-stop is active */
void gng_disarm(void);           /* emits DISARMED */
void gng_safety_tick(void);      /* once per control tick, before the motors run */
void gng_estop(void);            /* the host's estop message: the e-stop input's trip, at receipt */

#endif
