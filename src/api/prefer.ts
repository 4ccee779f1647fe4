/**
 * `Prefer: wait=N` (RFC 7240 §4.3): how long the client is willing to wait for the process to
 * end. Other preferences in the header are ignored, as the RFC allows. Returns whole seconds,
 * capped at `maxSeconds`, or undefined when the client did not ask to wait.
 */
export function preferredWaitSeconds(header: string | undefined, maxSeconds: number): number | undefined {
  if (!header) return undefined;
  for (const preference of header.split(',')) {
    const [token = '', rawValue] = preference
      .split(';')[0]!
      .split('=')
      .map((part) => part.trim());
    if (token.toLowerCase() !== 'wait' || rawValue === undefined) continue;
    const value = rawValue.replace(/^"(.*)"$/, '$1');
    if (!/^\d+$/.test(value)) return undefined;
    return Math.min(Number(value), maxSeconds);
  }
  return undefined;
}
