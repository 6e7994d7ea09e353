// PEM material from a kubeconfig or an exec plugin, checked where it is read: Node parses it only
// when it builds a TLS context, and there a bad certificate is an exception without the field's
// name (it used to surface as an uncaught OpenSSL error: "PEM routines::no start line").

import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';

/** Why a client certificate and key cannot be used, or undefined when they can. */
export function unusableClientCertificate(cert: string, key: string): string | undefined {
  try {
    createSecureContext({ cert, key });
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/** Why a CA bundle holds no certificate Node can read, or undefined when it holds one. */
export function unusableCertificateAuthority(ca: string): string | undefined {
  try {
    new X509Certificate(ca);
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/** OpenSSL's reason without its error-code prefix: "no start line", "key values mismatch". */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error:[0-9A-F]+:/, '').slice(0, 200);
}
