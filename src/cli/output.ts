/** What the CLI prints of a promotion (the API's PromotionDto, loosely typed). */
export interface PromotionView {
  id: string;
  status: string;
  message: string;
  kind?: string;
  pipeline?: string;
  repository: string;
  digest: string;
  tag: string | null;
  from?: { stage: string };
  to: { stage: string };
  gates: { type: string; status: string; reason: string }[];
  requestedBy?: string;
  createdAt?: string;
  endedAt?: string | null;
}

/** Prints to stdout: the API's objects as JSON with --json, else lines for people. */
export class Output {
  constructor(readonly json: boolean) {}

  object(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  line(text: string): void {
    if (!this.json) process.stdout.write(text + '\n');
  }

  promotion(p: PromotionView): void {
    this.line(
      `promotion ${p.id}: ${p.repository}@${p.digest}${p.tag ? ` as ${p.tag}` : ''} → ${p.to.stage}`,
    );
    this.line(`  ${p.status}: ${p.message}`);
    for (const g of p.gates)
      this.line(`  gate ${g.type.padEnd(9)} ${g.status.padEnd(8)} ${g.reason}`);
  }

  /** One line per promotion, for history. */
  row(p: PromotionView): void {
    this.line(
      [
        p.createdAt ?? '',
        p.status.padEnd(9),
        `${p.from?.stage ?? '?'} → ${p.to.stage}`,
        `${p.repository}@${p.digest.slice(0, 19)}…${p.tag ? `:${p.tag}` : ''}`,
        p.requestedBy ?? '',
        p.kind === 'promote' ? '' : `(${p.kind})`,
      ]
        .join('  ')
        .trimEnd(),
    );
  }
}
