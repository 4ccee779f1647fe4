/**
 * `concurrency` calls in flight until `deadline` (a `performance.now()` time), each loop starting
 * its next call as soon as its last one ended: the closed-loop load of the raw sides (P1's starts,
 * the floor's executions). `ok` counts the calls that ended by the deadline, as wrk counts, `all`
 * those that ended after it too. A failure goes to `failed`, which should pause: a failing server
 * must not be hammered.
 */
export async function callsUntil(
  concurrency: number,
  deadline: number,
  call: () => Promise<unknown>,
  failed: (err: unknown, failures: number) => Promise<void>,
): Promise<{ ok: number; all: number; failures: number }> {
  let ok = 0;
  let all = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        try {
          await call();
          all++;
          if (performance.now() <= deadline) ok++;
        } catch (err) {
          await failed(err, ++failures);
        }
      }
    }),
  );
  return { ok, all, failures };
}
