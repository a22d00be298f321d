// The embedded broker's TLS certificate and key: read from the files given, checked to belong together, and pinned by the bridge in the same process.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates, type PeerCertificate } from 'node:tls';

export interface TlsPair {
  /** PEM private key and certificate (chain) as read. */
  key: string;
  cert: string;
  /** SHA-256 fingerprint of the leaf certificate (the first in the file), as node:tls reports a peer's. */
  fingerprint256: string;
}

const MAKE_ONE = 'e.g. openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem -days 365 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost';

function readPem(file: string, flag: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the PEM ${what} file`);
  }
}

/** Reads and checks the pair; every refusal names the file and the fix. */
export function readTlsPair(certFile: string, keyFile: string): TlsPair {
  const cert = readPem(certFile, '--tls-cert', 'certificate');
  const key = readPem(keyFile, '--tls-key', 'private key');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (e) {
    throw new Error(`--tls-cert ${certFile}: not a PEM certificate (${(e as Error).message}); make one, ${MAKE_ONE}`);
  }
  let priv: KeyObject;
  try {
    priv = createPrivateKey(key);
  } catch (e) {
    throw new Error(`--tls-key ${keyFile}: not a PEM private key, or one with a passphrase (${(e as Error).message}); give the unencrypted key made with the certificate`);
  }
  if (!leaf.checkPrivateKey(priv)) throw new Error(`--tls-key ${keyFile} is not the key of --tls-cert ${certFile}: give the key the certificate was made with`);
  if (Date.parse(leaf.validTo) < Date.now()) throw new Error(`--tls-cert ${certFile}: expired on ${leaf.validTo}; renew it (${MAKE_ONE})`);
  return { key, cert, fingerprint256: leaf.fingerprint256 };
}

/**
 * TLS options for a client of the broker in this process: it trusts the certificate itself (self-signed), the
 * system's roots and `extraCa` (a private CA), and checks that the broker presents exactly this certificate instead
 * of checking its host name: the bridge connects to 127.0.0.1, which a certificate for robot.lan does not name.
 */
export function pinnedClientTls(pair: TlsPair, extraCa?: string) {
  return {
    ca: [pair.cert, ...rootCertificates, ...(extraCa ? [extraCa] : [])],
    checkServerIdentity: (_host: string, peer: PeerCertificate): Error | undefined =>
      peer.fingerprint256 === pair.fingerprint256 ? undefined : new Error(`the broker presented certificate ${peer.fingerprint256}, not the configured ${pair.fingerprint256}`),
  };
}
