import type { Command } from 'commander';
import { context, waitable, waitOptions, type WaitFlags } from '../context.js';
import { EXIT, exitFor, outcome } from '../exit-codes.js';
import type { PromotionView } from '../output.js';
import { waitForPromotion } from '../wait.js';

/** `history`, `rollback` and `release`. */
export function historyCommands(program: Command): void {
  program
    .command('history')
    .description("A pipeline's promotions, newest first")
    .argument('<pipeline>', 'pipeline name or id')
    .option('--repository <repository>', 'only this repository')
    .option('--stage <stage>', 'only promotions into this stage')
    .option('--limit <n>', 'how many', '50')
    .action(
      outcome(
        async (
          pipeline: string,
          flags: { repository?: string; stage?: string; limit: string },
          cmd: Command,
        ) => {
          const { api, out } = context(cmd);
          const query = new URLSearchParams({ limit: flags.limit });
          if (flags.repository) query.set('repository', flags.repository);
          if (flags.stage) query.set('stage', flags.stage);
          const { body } = await api.call<{ items: PromotionView[]; total: number }>(
            'GET',
            `/pipelines/${await api.pipelineId(pipeline)}/history?${query}`,
          );
          if (out.json) out.object(body);
          else {
            for (const p of body.items) out.row(p);
            out.line(`${body.items.length} of ${body.total}`);
          }
          return EXIT.done;
        },
      ),
    );

  const rollback = program
    .command('rollback')
    .description("Re-point a stage's tag to an earlier promoted digest; holds auto-promotion there")
    .argument('<pipeline>', 'pipeline name or id')
    .argument('<repository>', 'pipeline repository, e.g. team/app')
    .requiredOption('--stage <stage>', 'the stage to roll back')
    .requiredOption('--tag <tag>', 'the tag to re-point')
    .option('--digest <digest>', 'an earlier digest promoted there (default: the one before)')
    .option('--reason <text>', 'why, recorded');
  waitable(rollback, 600).action(
    outcome(
      async (
        pipeline: string,
        repository: string,
        flags: WaitFlags & { stage: string; tag: string; digest?: string; reason?: string },
        cmd: Command,
      ) => {
        const { api, out } = context(cmd);
        const { body } = await api.call<PromotionView>(
          'POST',
          `/pipelines/${await api.pipelineId(pipeline)}/rollback`,
          {
            stage: flags.stage,
            repository,
            tag: flags.tag,
            ...(flags.digest ? { digest: flags.digest } : {}),
            ...(flags.reason ? { reason: flags.reason } : {}),
          },
        );
        const result = flags.wait
          ? await waitForPromotion(api, out, body.id, waitOptions(flags))
          : body;
        if (out.json) out.object(result);
        else out.promotion(result);
        return flags.wait ? exitFor(result.status) : EXIT.done;
      },
    ),
  );

  program
    .command('release')
    .description("End a rollback's hold on auto-promotion into a stage")
    .argument('<pipeline>', 'pipeline name or id')
    .argument('<repository>', 'pipeline repository')
    .requiredOption('--stage <stage>', 'the held stage')
    .action(
      outcome(
        async (pipeline: string, repository: string, flags: { stage: string }, cmd: Command) => {
          const { api, out } = context(cmd);
          const { body } = await api.call<{ released: boolean }>(
            'POST',
            `/pipelines/${await api.pipelineId(pipeline)}/release`,
            {
              stage: flags.stage,
              repository,
            },
          );
          if (out.json) out.object(body);
          else
            out.line(
              body.released
                ? `released ${repository} in ${flags.stage}`
                : `${repository} in ${flags.stage} was not held`,
            );
          return EXIT.done;
        },
      ),
    );
}
