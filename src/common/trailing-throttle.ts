/**
 * Calls `fn` with the latest arguments at most once per `intervalMs`: at once when
 * idle, then once more at the end of the interval if anything new came in, so the
 * last value is never lost. With `delayFirst`, the first call also waits an interval
 * (work that ends sooner, and cancels, sends nothing). `cancel` drops what is pending.
 */
export function trailingThrottle<A extends unknown[]>(
  intervalMs: number,
  fn: (...args: A) => void,
  options: { delayFirst?: boolean } = {},
) {
  let timer: NodeJS.Timeout | undefined;
  let pending: A | undefined;
  let waitFirst = options.delayFirst ?? false;
  const fire = () => {
    timer = undefined;
    if (!pending) return;
    const args = pending;
    pending = undefined;
    fn(...args);
    timer = setTimeout(fire, intervalMs);
  };
  return {
    call(...args: A): void {
      pending = args;
      if (timer) return;
      if (waitFirst) {
        waitFirst = false; // only the very first call waits
        timer = setTimeout(fire, intervalMs);
      } else {
        fire();
      }
    },
    cancel(): void {
      clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}
