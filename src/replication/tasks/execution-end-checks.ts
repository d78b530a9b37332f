/**
 * Decides which of this process's task attempts looks whether their execution has
 * ended (ExecutionFinisher.finishIfDone): otherwise one statement per finished task,
 * one of the seven or so that a small copy costs the database.
 *
 * An attempt whose task ended while another attempt of the same execution still runs
 * here need not look: that execution has an open task, and the look is owed to the
 * last of them to settle, whatever its outcome (retried, handed back, lost to another
 * worker). That last one settles after every other one recorded its outcome, so its
 * look sees them all. JavaScript runs these steps one at a time: no two attempts can
 * both believe the other will look.
 */
export class ExecutionEndChecks {
  private readonly executions = new Map<string, { attempts: number; owed: boolean }>();

  /** An attempt of a task of this execution starts. */
  began(executionId: string): void {
    const entry = this.executions.get(executionId);
    if (entry) entry.attempts++;
    else this.executions.set(executionId, { attempts: 1, owed: false });
  }

  /**
   * An attempt is over, its outcome recorded (or given up on). `ended` says its task
   * reached a final status. Returns whether the caller must look now.
   */
  settled(executionId: string, ended: boolean): boolean {
    const entry = this.executions.get(executionId);
    if (!entry) return ended;
    entry.owed ||= ended;
    if (--entry.attempts > 0) return false;
    this.executions.delete(executionId);
    return entry.owed;
  }
}
