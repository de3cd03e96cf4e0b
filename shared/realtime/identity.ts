/**
 * Where a WebSocket client puts its access token on `$connect`: the `token` query parameter, or an
 * entry of the `Sec-WebSocket-Protocol` header (browsers cannot set other headers), next to the
 * `vigil` subprotocol. Returns the token, or undefined when none was offered.
 */
export function connectToken(
  query: Record<string, string | undefined> | undefined,
  headers: Record<string, string | undefined> | undefined,
): string | undefined {
  const fromQuery = query?.token;
  if (fromQuery) return fromQuery;
  const protocols = Object.entries(headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
  )?.[1];
  return protocols
    ?.split(',')
    .map((p) => p.trim())
    .find((p) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(p));
}
