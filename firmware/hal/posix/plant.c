/* Simulated motor plant (see plant.h): exact discretisation of the first-order lag, stable for any dt. */
#include <math.h>
#include "plant.h"

void plant_reset(plant_t *p) {
  p->pos_counts = 0;
  p->vel_cps = 0;
}

void plant_step(plant_t *p, double drive_permille, double dt_s) {
  double target = PLANT_GAIN_CPS_PER_PERMILLE * drive_permille;
  double v0 = p->vel_cps;
  double k = exp(-dt_s / PLANT_TAU_S);
  p->vel_cps = target + (v0 - target) * k;
  /* Position is the integral of the exponential approach, not a rectangle, so counts are exact at any rate. */
  p->pos_counts += target * dt_s + (v0 - target) * PLANT_TAU_S * (1.0 - k);
}
