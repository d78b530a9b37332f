import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { resealLookupKey } from './lookup-key-store.js';
import { SecretBox } from './secret-box.js';

/** What one owner of sealed values did in a rotation pass. */
export interface ResealResult {
  /** Values found sealed with a previous key and sealed again with the current one. */
  resealed: number;
  /** Values no configured key opens, each named for a person ("registry \"hq\" password: …"). */
  unreadable: string[];
}

/** Re-seals the stale values of one module's tables (each module knows its own rows). */
export type Resealer = () => Promise<ResealResult>;

export interface RotationReport {
  resealed: number;
  unreadable: string[];
  /** Per owner, in registration order. */
  owners: ({ owner: string } & ResealResult)[];
}

/**
 * Key rotation: every value sealed with a key from REGRELAY_SECRET_KEY_PREVIOUS is
 * opened and sealed again with REGRELAY_SECRET_KEY, so the previous key can be
 * retired. Modules that store sealed values register a Resealer for their rows (in
 * their onModuleInit); the pass runs at every start (KeyRotationAtStart) and from
 * `npm run rotate-keys`. Each value is written with a compare-and-set on its old
 * sealed form, so a concurrent change by a person or another replica wins.
 */
@Injectable()
export class KeyRotation {
  private readonly resealers = new Map<string, Resealer>();

  constructor(
    private readonly box: SecretBox,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.register('lookup key', () => resealLookupKey(this.dataSource, this.box));
  }

  register(owner: string, resealer: Resealer): void {
    if (this.resealers.has(owner)) throw new Error(`A resealer for ${owner} is registered twice`);
    this.resealers.set(owner, resealer);
  }

  async rotate(): Promise<RotationReport> {
    const owners: RotationReport['owners'] = [];
    for (const [owner, resealer] of this.resealers) owners.push({ owner, ...(await resealer()) });
    return {
      resealed: owners.reduce((n, o) => n + o.resealed, 0),
      unreadable: owners.flatMap((o) => o.unreadable),
      owners,
    };
  }
}

/**
 * Runs the rotation pass once at start-up. Unreadable values do not stop the start
 * (the rest of the service works; what needs them fails with the cause), but each is
 * logged by name.
 */
@Injectable()
export class KeyRotationAtStart implements OnApplicationBootstrap {
  private readonly logger = new Logger('KeyRotation');

  constructor(private readonly rotation: KeyRotation) {}

  async onApplicationBootstrap(): Promise<void> {
    const report = await this.rotation.rotate();
    if (report.resealed)
      this.logger.log(
        { resealed: report.resealed },
        `Re-sealed ${report.resealed} secret(s) with the current REGRELAY_SECRET_KEY`,
      );
    for (const problem of report.unreadable)
      this.logger.error(`A stored secret cannot be opened with any configured key: ${problem}`);
  }
}
