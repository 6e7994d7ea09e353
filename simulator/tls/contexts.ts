// Picks the certificate for each TLS handshake by SNI name, so one port serves cloudimanage.com,
// vanity subdomains and on-prem names. Certificate faults are decided here, per handshake.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { FaultSet } from '../faults/faults.ts';
import {
  currentValidity,
  expiredValidity,
  issueServerCertificate,
  type Authority,
  type ServerCertificate,
} from './certs.ts';

/** The name a wrong-host certificate is issued for: reserved, so it can never match (RFC 2606). */
export const WRONG_HOST_NAME = 'wrong-host.invalid';
/** Names the fallback certificate covers, for clients that send no (or an unknown) SNI name. */
export const DEFAULT_NAMES: readonly string[] = ['localhost', '127.0.0.1'];

type Variant = 'valid' | 'wrong-host' | 'expired';

export class CertificateBook {
  readonly #ca: Authority;
  readonly #faults: FaultSet;
  readonly #isServed: (host: string) => boolean;
  readonly #cache = new Map<string, SecureContext>();
  readonly defaultCertificate: ServerCertificate;

  constructor(ca: Authority, faults: FaultSet, isServed: (host: string) => boolean) {
    this.#ca = ca;
    this.#faults = faults;
    this.#isServed = isServed;
    this.defaultCertificate = issueServerCertificate(ca, DEFAULT_NAMES, currentValidity());
  }

  /** For `tls.createServer({ SNICallback })`. */
  readonly sniCallback = (servername: string, done: (err: Error | null, ctx?: SecureContext) => void): void => {
    try {
      done(null, this.contextFor(servername));
    } catch (err) {
      done(err as Error);
    }
  };

  contextFor(servername: string): SecureContext | undefined {
    const host = servername.toLowerCase();
    if (!this.#isServed(host)) return undefined; // the server's default certificate answers
    const fault = this.#faults.takeCertificateFault(host);
    const variant: Variant =
      fault?.kind === 'wrong-host-cert' ? 'wrong-host' : fault?.kind === 'expired-cert' ? 'expired' : 'valid';
    return this.#context(host, variant);
  }

  #context(host: string, variant: Variant): SecureContext {
    const key = `${variant}:${host}`;
    let context = this.#cache.get(key);
    if (!context) {
      const names = variant === 'wrong-host' ? [WRONG_HOST_NAME] : [host];
      const validity = variant === 'expired' ? expiredValidity() : currentValidity();
      const cert = issueServerCertificate(this.#ca, names, validity);
      context = createSecureContext({ key: cert.keyPem, cert: cert.certPem });
      this.#cache.set(key, context);
    }
    return context;
  }
}
