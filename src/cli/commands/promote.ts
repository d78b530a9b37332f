import type { Command } from 'commander';
import { EXIT, exitFor, type ExitCode, outcome } from '../exit-codes.js';
import type { PromotionView } from '../output.js';
import { context, waitable, waitOptions, type WaitFlags } from '../context.js';
import { waitForPromotion } from '../wait.js';

interface PromoteFlags extends WaitFlags {
  to: string;
  tag?: string;
  reason?: string;
  dryRun?: boolean;
  force?: boolean;
  forceReason?: string;
}

/** `repository@digest`, `repository@tag` or `repository:tag`. */
export function parseReference(value: string): {
  repository: string;
  digest?: string;
  tag?: string;
} {
  const at = value.indexOf('@');
  if (at > 0) {
    const repository = value.slice(0, at);
    const reference = value.slice(at + 1);
    return /^[a-z0-9]+:/.test(reference)
      ? { repository, digest: reference }
      : { repository, tag: reference };
  }
  const colon = value.lastIndexOf(':');
  if (colon > 0 && !value.slice(colon).includes('/'))
    return { repository: value.slice(0, colon), tag: value.slice(colon + 1) };
  throw new Error(`expected <repository>@<digest|tag> (or <repository>:<tag>), got ${value}`);
}

export function promoteCommand(program: Command): void {
  const cmd = program
    .command('promote')
    .description('Promote a digest (or the digest a tag points at, resolved once) into a stage')
    .argument('<pipeline>', 'pipeline name or id')
    .argument('<reference>', '<repository>@<digest|tag>, e.g. team/app@sha256:… or team/app@1.4.2')
    .requiredOption('--to <stage>', 'the stage to promote into')
    .option(
      '--tag <tag>',
      'the tag to write in the stage (default: the tag promoted; none for a digest)',
    )
    .option('--reason <text>', 'why, recorded in the history')
    .option('--dry-run', 'run the gates and show what would be copied; change nothing')
    .option('--force', 'admin: promote although the previous stage lacks the digest')
    .option('--force-reason <text>', 'why the skip is forced (required with --force)');
  waitable(cmd, 1800).action(
    outcome(async (pipeline: string, reference: string, flags: PromoteFlags, cmd: Command) => {
      const { api, out } = context(cmd);
      const ref = parseReference(reference);
      const body = {
        repository: ref.repository,
        ...(ref.digest ? { digest: ref.digest, ...(flags.tag ? { tag: flags.tag } : {}) } : {}),
        ...(ref.tag ? { tag: ref.tag, ...(flags.tag ? { targetTag: flags.tag } : {}) } : {}),
        toStage: flags.to,
        ...(flags.reason ? { reason: flags.reason } : {}),
        ...(flags.dryRun ? { dryRun: true } : {}),
        ...(flags.force ? { force: true, forceReason: flags.forceReason } : {}),
      };
      const id = await api.pipelineId(pipeline);
      const { body: answer } = await api.call<PromotionView & { dryRun?: boolean; plan?: unknown }>(
        'POST',
        `/pipelines/${id}/promotions`,
        body,
      );
      if (answer.dryRun) return dryRunResult(out, answer as never);
      let result = answer;
      if (
        flags.wait &&
        (result.status === 'waiting' || result.status === 'queued' || result.status === 'running')
      ) {
        out.promotion(result);
        result = await waitForPromotion(api, out, result.id, waitOptions(flags));
      }
      if (out.json) out.object(result);
      else out.promotion(result);
      return flags.wait || result.status === 'refused' ? exitFor(result.status) : EXIT.done;
    }),
  );
}

function dryRunResult(
  out: ReturnType<typeof context>['out'],
  answer: {
    status: string;
    message: string;
    gates: PromotionView['gates'];
    plan: Record<string, unknown>;
  },
): ExitCode {
  if (out.json) out.object(answer);
  else {
    out.line(`dry run: ${answer.message}`);
    for (const g of answer.gates)
      out.line(`  gate ${g.type.padEnd(9)} ${g.status.padEnd(8)} ${g.reason}`);
    out.line(`  plan: ${JSON.stringify(answer.plan)}`);
  }
  return answer.status === 'would-promote'
    ? EXIT.done
    : answer.status === 'refused'
      ? EXIT.refused
      : EXIT.waiting;
}
