import type { Command } from 'commander';
import { context } from '../context.js';
import { EXIT, outcome } from '../exit-codes.js';
import type { PromotionView } from '../output.js';

/** `approve` and `reject`: a decision on a waiting promotion. */
export function decideCommands(program: Command): void {
  for (const [name, description] of [
    ['approve', 'Approve a waiting promotion (counts toward its approval gate)'],
    ['reject', 'Reject a waiting or queued promotion: it is refused'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<promotion>', 'promotion id')
      .option('--comment <text>', 'recorded with the decision')
      .action(
        outcome(async (id: string, flags: { comment?: string }, cmd: Command) => {
          const { api, out } = context(cmd);
          const { body } = await api.call<PromotionView>('POST', `/promotions/${id}/${name}`, {
            ...(flags.comment ? { comment: flags.comment } : {}),
          });
          if (out.json) out.object(body);
          else out.promotion(body);
          return EXIT.done;
        }),
      );
  }
}
