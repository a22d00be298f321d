// Where a broker listens: the address checked at the edge, whether it stays on this machine, and the address this machine's own clients dial.
import { z } from 'zod';

/** An IP address or a host name to bind: 127.0.0.1 (the default), 0.0.0.0 / :: (every interface), a LAN address. */
export const ListenHostSchema = z.union([z.ipv4(), z.ipv6(), z.hostname()]);

/** Loopback addresses: a plain listener there never puts a password on a network. */
export const isLoopback = (addr: string) => addr === 'localhost' || addr === '::1' || /^127\./.test(addr);

/** The wildcards bind every interface but are no address to dial: a client on this machine uses loopback then. */
export const dialHost = (host: string) => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host);

/** Why `host` is not a listen address (naming it and the fix), or null. */
export function listenHostError(host: string, flag = 'host'): string | null {
  return ListenHostSchema.safeParse(host).success ? null : `${flag} ${JSON.stringify(host)}: not an IP address or host name; give e.g. 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or this machine's LAN address`;
}

/** Plain MQTT on a non-loopback address carries the passwords in clear text: there the broker serves TLS only. */
export function plainHostError(host: string, flag = 'host'): string | null {
  return isLoopback(host) ? null : `${flag} ${host} is not a loopback address: plain MQTT there would carry the passwords in clear text, so it is served TLS only; give --tls-cert FILE --tls-key FILE (or keep the default 127.0.0.1)`;
}
