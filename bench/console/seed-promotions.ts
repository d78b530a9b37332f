import pg from 'pg';

/** A pipeline's stages as the API answered them, in order. */
export interface SeedStage {
  id: string;
  name: string;
  registryId: string;
  repository: string;
}

export interface SeededPromotions {
  /** The newest promotion, still waiting for its approval. */
  waitingId: string;
  repositories: number;
}

/**
 * A pipeline's long past: `count` promotions a minute apart over `repositories`
 * repositories, each digest first into the second stage and then into the third (an
 * approval passed there), a few refused or failed, the newest waiting; and the
 * digests each stage holds since. Written with SQL in bulk, as seed.ts writes
 * executions: the API makes promotions only by copying.
 */
export async function seedPromotions(
  databaseUrl: string,
  pipelineId: string,
  stages: SeedStage[],
  count: number,
  repositories: number,
): Promise<SeededPromotions> {
  if (stages.length !== 3) throw new Error('the bench pipeline has three stages');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    // Promotion i moves digest d(i / 2) into stage 1 (i odd) or stage 2 (i even).
    await client.query(
      `WITH s AS (SELECT * FROM jsonb_to_recordset($2::jsonb)
                    AS x(id uuid, name text, "registryId" uuid, repository text, position int))
       INSERT INTO promotion (id, pipeline_id, stage_id, stage_name, source_stage_id, source_stage_name,
                              kind, repository, source_registry_id, source_repository,
                              destination_registry_id, destination_repository, digest, media_type,
                              requested_tag, tag, requested_by, reason, status, gates, message,
                              bytes_moved, created_at, queued_at, started_at, ended_at)
       SELECT gen_random_uuid(), $1, dst.id, dst.name, src.id, src.name,
              CASE WHEN i % 20 = 1 THEN 'auto' ELSE 'promote' END, r.name,
              src."registryId", replace(src.repository, '{repository}', r.name),
              dst."registryId", replace(dst.repository, '{repository}', r.name),
              'sha256:' || encode(sha256(convert_to('bench-digest-' || (i / 2), 'UTF8')), 'hex'),
              'application/vnd.oci.image.manifest.v1+json', '1.' || (i / 2), '1.' || (i / 2),
              CASE WHEN i % 3 = 0 THEN 'release-bot' ELSE 'alice' END, 'release 1.' || (i / 2),
              st.status,
              CASE WHEN dst.position = 2 THEN jsonb_build_array(jsonb_build_object(
                'type', 'approval', 'config', jsonb_build_object('type', 'approval', 'required', 1),
                'status', CASE st.status WHEN 'refused' THEN 'refused' ELSE 'passed' END,
                'reason', CASE st.status WHEN 'refused' THEN 'rejected by bob: not on a Friday'
                               ELSE 'approved by bob' END,
                'evidence', jsonb_build_object('required', 1, 'approvers',
                  jsonb_build_array(jsonb_build_object('name', 'bob', 'role', 'operator'))),
                'evaluatedAt', to_jsonb(now() - i * interval '1 minute'), 'nextCheckAt', null))
                   ELSE '[]'::jsonb END,
              CASE st.status WHEN 'refused' THEN 'rejected by bob: not on a Friday'
                             WHEN 'failed' THEN 'the copy failed: the registry answered 503 [HTTP 503]'
                             ELSE 'copied into stage ' || dst.name END,
              10485760, now() - i * interval '1 minute' - interval '1 hour',
              now() - i * interval '1 minute' - interval '1 hour' + interval '5 seconds',
              now() - i * interval '1 minute' - interval '1 hour' + interval '5 seconds',
              now() - i * interval '1 minute' - interval '1 hour' + interval '9 seconds'
       FROM generate_series(1, $3::int) i
       JOIN s dst ON dst.position = 2 - i % 2
       JOIN s src ON src.position = dst.position - 1
       CROSS JOIN LATERAL (SELECT 'team-' || ((i / 2) % $4::int) || '/app' AS name) r
       CROSS JOIN LATERAL (SELECT CASE WHEN i % 50 = 0 THEN 'refused' WHEN i % 97 = 0 THEN 'failed'
                                       ELSE 'succeeded' END AS status) st`,
      [
        pipelineId,
        JSON.stringify(stages.map((s, position) => ({ ...s, position }))),
        count - 1,
        repositories,
      ],
    );
    await client.query(
      `INSERT INTO stage_digest (stage_id, repository, digest, arrived_at, how, promotion_id)
       SELECT stage_id, repository, digest, ended_at, 'promotion', id FROM promotion
       WHERE pipeline_id = $1 AND status = 'succeeded'
       UNION ALL
       SELECT source_stage_id, repository, digest, created_at, 'observed', NULL FROM promotion
       WHERE pipeline_id = $1 AND source_stage_id = $2
       ON CONFLICT DO NOTHING`,
      [pipelineId, stages[0]!.id],
    );
    const prod = stages[2]!;
    const [waiting] = (
      await client.query<{ id: string }>(
        `INSERT INTO promotion (id, pipeline_id, stage_id, stage_name, source_stage_id, source_stage_name,
                                kind, repository, source_registry_id, source_repository,
                                destination_registry_id, destination_repository, digest, tag,
                                requested_by, status, gates, created_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'promote', 'team-0/app', $6, 'team-0/app', $7,
                 'team-0/app', $8, 'latest', 'release-bot', 'waiting',
                 jsonb_build_array(jsonb_build_object('type', 'approval',
                   'config', jsonb_build_object('type', 'approval', 'required', 1), 'status', 'pending',
                   'reason', 'waiting for approval: 0 of 1 approvals', 'evidence', '{}'::jsonb,
                   'evaluatedAt', to_jsonb(now()), 'nextCheckAt', null)),
                 now())
         RETURNING id`,
        [
          pipelineId,
          prod.id,
          prod.name,
          stages[1]!.id,
          stages[1]!.name,
          stages[1]!.registryId,
          prod.registryId,
          `sha256:${'b'.repeat(64)}`,
        ],
      )
    ).rows;
    await client.query('COMMIT');
    await client.query('ANALYZE promotion');
    await client.query('ANALYZE stage_digest');
    const [row] = (
      await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM promotion WHERE pipeline_id = $1',
        [pipelineId],
      )
    ).rows;
    if (Number(row!.n) !== count) throw new Error(`seeded ${row!.n} promotions, not ${count}`);
    return { waitingId: waiting!.id, repositories };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
