/**
 * Runs passes of some background work one at a time: a kick while a pass runs asks
 * for exactly one more right after it (kicks coalesce), never two at once. `stop`
 * waits for the pass in progress.
 */
export class SerialPass {
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
