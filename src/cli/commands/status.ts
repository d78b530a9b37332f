import type { Command } from 'commander';
import { context, waitable, waitOptions, type WaitFlags } from '../context.js';
import { exitFor, outcome } from '../exit-codes.js';
import type { PromotionView } from '../output.js';
import { waitForPromotion } from '../wait.js';

/** `status` (exits with what the promotion's state means) and `wait`. */
export function statusCommands(program: Command): void {
  program
    .command('status')
    .description('Show a promotion: status, each gate and its reason (exit code: see docs)')
    .argument('<promotion>', 'promotion id')
    .action(
      outcome(async (id: string, _flags: unknown, cmd: Command) => {
        const { api, out } = context(cmd);
        const { body } = await api.call<PromotionView>('GET', `/promotions/${id}`);
        if (out.json) out.object(body);
        else out.promotion(body);
        return exitFor(body.status);
      }),
    );

  const wait = program
    .command('wait')
    .description('Wait until a promotion ends (or --timeout), showing progress on a terminal')
    .argument('<promotion>', 'promotion id');
  waitable(wait, 1800, true).action(
    outcome(async (id: string, flags: WaitFlags, cmd: Command) => {
      const { api, out } = context(cmd);
      const body = await waitForPromotion(api, out, id, waitOptions(flags));
      if (out.json) out.object(body);
      else out.promotion(body);
      return exitFor(body.status);
    }),
  );
}
