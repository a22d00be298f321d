// Client ids belong to accounts: ganglion-robot-<id> only to that robot's account, <user> and <user>-* only to <user>; any other id is put under its sender's name.
import type { Identity } from './acl.ts';

export const ROBOT_CLIENT_PREFIX = 'ganglion-robot-';
export const robotClientId = (robot: string) => `${ROBOT_CLIENT_PREFIX}${robot}`;

/** The account whose namespace `id` is in: the longest username u with id === u or id starting with `u-`; null: nobody's. */
export function namespaceOwner(id: string, isUser: (u: string) => boolean): string | null {
  if (isUser(id)) return id;
  for (let i = id.lastIndexOf('-'); i > 0; i = id.lastIndexOf('-', i - 1)) {
    const u = id.slice(0, i);
    if (isUser(u)) return u;
  }
  return null;
}

/**
 * The id the broker registers for a CONNECT from `username`: a robot id or an id in someone's namespace is kept
 * (authorize() decides); anything else, including an empty id, goes under the sender's name (`<user>-<id>`), so it
 * cannot collide with anybody else's session. `random` fills an empty id.
 */
export function namespacedClientId(username: string | null, id: string, isUser: (u: string) => boolean, random: () => string): string {
  if (username === null) return id;
  if (id.startsWith(ROBOT_CLIENT_PREFIX) || namespaceOwner(id, isUser) !== null) return id;
  return `${username}-${id || random()}`;
}

/**
 * null when `who` may connect under `id`, else the refusal. `connected(id)`: a live session holds that id now; a
 * robot's id is never taken over (a second login on it is refused, the robot stays connected).
 */
export function authorizeClientId(who: Identity, id: string, isUser: (u: string) => boolean, connected: (id: string) => boolean): string | null {
  if (id.startsWith(ROBOT_CLIENT_PREFIX)) {
    const robot = id.slice(ROBOT_CLIENT_PREFIX.length);
    if (who.role !== 'robot' || !(who.robots ?? []).includes(robot)) {
      return `client id ${id} belongs to robot ${robot}'s account; ${who.username} (${who.role}) may not use it`;
    }
    if (connected(id)) return `client id ${id} is in use by a live session of robot ${robot}: a second login is refused (the robot stays connected)`;
    return null;
  }
  const owner = namespaceOwner(id, isUser);
  if (owner !== null && owner !== who.username) return `client id ${id} is in ${owner}'s namespace (${owner}, ${owner}-*); ${who.username} may not use it`;
  return null;
}
