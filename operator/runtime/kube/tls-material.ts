// PEM material from a kubeconfig or an exec plugin, checked where it is read: Node parses it only
// when it builds a TLS context, and there a bad certificate is an exception without the field's
// name (it used to surface as an uncaught OpenSSL error: "PEM routines::no start line").

import { createSecureContext, type SecureContext } from 'node:tls';
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

/**
 * One context for a server's CA and a client certificate, made once per agent. Given PEM text
 * instead, `tls.connect` parses it again for every new socket, and Node's https Agent puts the text
 * into the name of its socket pool, a string it builds and looks up three times per request.
 */
export function tlsContext(pem: {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}): SecureContext {
  return createSecureContext(pem);
}

/** OpenSSL's reason without its error-code prefix: "no start line", "key values mismatch". */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error:[0-9A-F]+:/, '').slice(0, 200);
}
