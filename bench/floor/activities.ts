/** The floor's one activity: nothing at all. */
export function noop(): Promise<void> {
  return Promise.resolve();
}
