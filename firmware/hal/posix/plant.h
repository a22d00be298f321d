/* A DC motor + encoder model per channel, so closed-loop modes run (and are tested) natively without hardware. */
#ifndef GNG_PLANT_H
#define GNG_PLANT_H
#include <stdint.h>

/* First-order velocity response to the signed drive: dv/dt = (GAIN * drive - v) / TAU. */
#define PLANT_GAIN_CPS_PER_PERMILLE 5.0 /* 1000 permille -> 5000 counts/s at steady state */
#define PLANT_TAU_S 0.05                /* [s] mechanical time constant */

typedef struct {
  double pos_counts; /* integrated position, fractional */
  double vel_cps;    /* [counts/s] */
} plant_t;

void plant_reset(plant_t *p);
void plant_step(plant_t *p, double drive_permille, double dt_s);

#endif
