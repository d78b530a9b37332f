import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { In, type DataSource, type Repository } from 'typeorm';
import { isUniqueViolation, nameTaken, notFound } from '../common/errors.js';
import { InvalidInputException, type FieldError } from '../common/validation.js';
import { queryRows } from '../database/sql.js';
import { isRepository } from '../oci/index.js';
import { NameFilter } from '../policies/name-filter.js';
import { RegistriesService } from '../registries/registries.service.js';
import type { PipelineBodyDto, PipelineDto, StageDto } from './dto/pipeline.dto.js';
import { parseGates } from './gates/gate-schema.js';
import { orderedStages, PipelineEntity, StageEntity } from './pipeline.entity.js';

const PLACEHOLDER = '{repository}';

/** Pipelines and their stages: validation, storage, and the views the API returns. */
@Injectable()
export class PipelinesService {
  constructor(
    @InjectRepository(PipelineEntity) private readonly pipelines: Repository<PipelineEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registries: RegistriesService,
  ) {
    registries.addUsage('pipelines', async (registryId) => {
      const rows = await queryRows<{ name: string }>(
        this.dataSource,
        `SELECT DISTINCT p.name FROM stage s JOIN pipeline p ON p.id = s.pipeline_id
         WHERE s.registry_id = $1 ORDER BY p.name`,
        [registryId],
      );
      return rows.map((r) => r.name);
    });
  }

  async get(id: string): Promise<PipelineEntity> {
    const found = await this.pipelines.findOne({ where: { id } });
    if (!found) throw notFound('Pipeline', id);
    return found;
  }

  list(): Promise<PipelineEntity[]> {
    return this.pipelines.find({ order: { name: 'ASC' } });
  }

  async create(dto: PipelineBodyDto): Promise<PipelineEntity> {
    await this.check(dto);
    const id = randomUUID();
    const entity = this.pipelines.create({
      id,
      name: dto.name,
      stages: dto.stages.map((s, i) => this.stageOf(s, i, id, randomUUID())),
    });
    return this.saved(() => this.pipelines.save(entity), dto.name, id);
  }

  /**
   * Replaces a pipeline's definition. Stages keep their identity by name (their
   * history, arrivals and holds stay with them); stages no longer named are removed,
   * their history kept under their name.
   */
  async replace(id: string, dto: PipelineBodyDto): Promise<PipelineEntity> {
    const existing = await this.get(id);
    await this.check(dto);
    const byName = new Map(existing.stages.map((s) => [s.name, s]));
    const stages = dto.stages.map((s, i) =>
      this.stageOf(s, i, id, byName.get(s.name)?.id ?? randomUUID()),
    );
    const kept = new Set(stages.map((s) => s.id));
    const removed = existing.stages.filter((s) => !kept.has(s.id)).map((s) => s.id);
    if (removed.length) {
      const open = await this.openPromotionStages(removed);
      if (open.length)
        throw new ConflictException(
          `Stage ${open.join(', ')} has promotions waiting or running; let them end (or reject them) before removing the stage`,
        );
    }
    return this.saved(
      () =>
        this.dataSource.transaction(async (m) => {
          if (removed.length) await m.getRepository(StageEntity).delete({ id: In(removed) });
          const repo = m.getRepository(PipelineEntity);
          return repo.save(repo.create({ ...existing, name: dto.name, stages }));
        }),
      dto.name,
      id,
    );
  }

  async delete(id: string): Promise<void> {
    const pipeline = await this.get(id);
    const open = await this.openPromotionStages(pipeline.stages.map((s) => s.id));
    if (open.length)
      throw new ConflictException(
        `Pipeline ${pipeline.name} has promotions waiting or running into stage ${open.join(', ')}; let them end first`,
      );
    // Its promotions, approvals, arrivals and holds go with it (ON DELETE CASCADE).
    await this.pipelines.delete(id);
  }

  async view(pipeline: PipelineEntity): Promise<PipelineDto> {
    return (await this.views([pipeline]))[0]!;
  }

  async views(pipelines: PipelineEntity[]): Promise<PipelineDto[]> {
    const registries = await this.registries.getMany(
      pipelines.flatMap((p) => p.stages.map((s) => s.registryId)),
    );
    return pipelines.map((p) => ({
      id: p.id,
      name: p.name,
      stages: orderedStages(p).map((s) => ({
        id: s.id,
        name: s.name,
        registryId: s.registryId,
        registry: registries.get(s.registryId)?.name ?? null,
        repository: s.repository,
        immutableTags: s.immutableTags,
        gates: s.gates,
        autoPromote: s.autoPromote,
      })),
      createdAt: p.createdAt.toISOString(),
      updatedAt: p.updatedAt.toISOString(),
    }));
  }

  private stageOf(s: StageDto, position: number, pipelineId: string, id: string): StageEntity {
    return Object.assign(new StageEntity(), {
      id,
      pipelineId,
      position,
      name: s.name,
      registryId: s.registryId,
      repository: s.repository ?? PLACEHOLDER,
      immutableTags: s.immutableTags ?? [],
      gates: parseGates(s.gates, '').gates,
      autoPromote: s.autoPromote ?? false,
    });
  }

  /** What the DTO cannot say: every problem at once, as fields. */
  private async check(dto: PipelineBodyDto): Promise<void> {
    const problems: FieldError[] = [];
    const registries = await this.registries.getMany(dto.stages.map((s) => s.registryId));
    const seen = new Set<string>();
    dto.stages.forEach((s, i) => {
      const at = `stages[${i}]`;
      if (seen.has(s.name))
        problems.push({ field: `${at}.name`, reason: `stage ${s.name} is named twice` });
      seen.add(s.name);
      if (!registries.has(s.registryId))
        problems.push({
          field: `${at}.registryId`,
          reason: `registry ${s.registryId} does not exist`,
        });
      const template = s.repository ?? PLACEHOLDER;
      if (
        template.split(PLACEHOLDER).length !== 2 ||
        !isRepository(template.replace(PLACEHOLDER, 'x'))
      )
        problems.push({
          field: `${at}.repository`,
          reason: `must contain ${PLACEHOLDER} once and make a valid repository name, e.g. "prod/${PLACEHOLDER}"`,
        });
      try {
        NameFilter.compile(s.immutableTags ?? []);
      } catch (error) {
        problems.push({ field: `${at}.immutableTags`, reason: (error as Error).message });
      }
      problems.push(...parseGates(s.gates, `${at}.gates`).problems);
      if (i === 0 && (s.gates?.length || s.autoPromote))
        problems.push({
          field: `${at}.gates`,
          reason:
            'the first stage receives pushes, not promotions: it can have no gates and no autoPromote',
        });
    });
    if (problems.length) throw new InvalidInputException(problems);
  }

  private async openPromotionStages(stageIds: string[]): Promise<string[]> {
    const rows = await queryRows<{ stage_name: string }>(
      this.dataSource,
      `SELECT DISTINCT stage_name FROM promotion
       WHERE stage_id = ANY($1) AND status IN ('waiting', 'queued', 'running') ORDER BY stage_name`,
      [stageIds],
    );
    return rows.map((r) => r.stage_name);
  }

  private async saved(
    save: () => Promise<PipelineEntity>,
    name: string,
    id: string,
  ): Promise<PipelineEntity> {
    try {
      await save();
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken('pipeline', name);
      throw error;
    }
    return this.get(id);
  }
}
