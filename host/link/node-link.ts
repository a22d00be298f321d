// What the runtime needs of a node's link: Ganglion's McuSession has it, and so does a Firmata node (host/firmata/node.ts).
import type { EventEmitter } from 'node:events';
import type { McuSession } from './session.ts';
import type { SessionEvents } from './session-types.ts';

/**
 * The part of McuSession the runtime uses (state, telemetry and notices, set_servo, setMotors, arm, stats). Typed
 * from McuSession itself so the two cannot drift; another node kind implements the same members.
 */
export type NodeLink = EventEmitter<SessionEvents> & Pick<McuSession, 'mcuState' | 'command' | 'setMotors' | 'arm' | 'disarm' | 'armed' | 'stats' | 'awaitingRearm' | 'estop'>;
