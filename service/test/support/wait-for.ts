// The one way tests wait: on a condition, polled, with a deadline. Never a sleep that hopes.

/**
 * Polls `check` every `everyMs` until it returns a truthy value (returned) or `timeoutMs` passes
 * (throws naming `what` and the last error `check` threw, if any).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

/** `promise`'s value, or `onTimeout` once `timeoutMs` has passed without it. */
export async function withDeadline<T, U>(promise: Promise<T>, timeoutMs: number, onTimeout: U): Promise<T | U> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<U>((r) => {
    timer = setTimeout(() => r(onTimeout), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
