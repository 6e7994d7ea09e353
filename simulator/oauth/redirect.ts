// Building the redirect back to the client. The registered URI is used byte for byte (it was
// matched exactly), and parameters are appended to any query it already has (RFC 6749 §3.1.2).

export function redirectWith(redirectUri: string, params: Record<string, string | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null) query.set(name, value);
  }
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query.toString()}`;
}
