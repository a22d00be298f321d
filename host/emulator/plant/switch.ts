// Switch contacts on digital inputs (buttons, e-stop, limit switches): the level the MCU reads, pull-ups included.

export class SwitchPlant {
  /** True while the contact is closed (pressed, tripped). */
  closed = false;

  /**
   * activeLow: the contact pulls the pin to ground and the pull-up (internal) makes it high when open.
   * Otherwise the contact pulls to VCC and an external pull-down holds it low when open.
   */
  constructor(readonly activeLow = true) {}

  /** The level the pin reads. An open active-low contact floats unless the firmware enabled the pull-up; we read that as low. */
  level(pullupOn: boolean): boolean {
    if (this.activeLow) return this.closed ? false : pullupOn;
    return this.closed;
  }
}
