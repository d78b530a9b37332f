import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Topologies (trees and dual-master pairs), their nodes, the conflicts pairs find,
 * each node's sync state, deliveries waiting for a node that was down, the push
 * times pairs resolve `newest` conflicts by, and schedule ticks. Tasks gain what a
 * destination must hold for them to write (a pair never overwrites a change made
 * there after planning).
 */
export class CreateTopologies1764835200000 implements MigrationInterface {
  name = 'CreateTopologies1764835200000';

  async up(q: QueryRunner): Promise<void> {
    // null: no condition; '' : the tag must be absent; else the digest it must hold.
    await q.query('ALTER TABLE task ADD COLUMN destination_expected text');
    await q.query(`
      CREATE TABLE topology (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('tree', 'dual-master')),
        repositories text[] NOT NULL,
        exclude_repositories text[] NOT NULL DEFAULT '{}',
        tags text[] NOT NULL,
        exclude_tags text[] NOT NULL DEFAULT '{}',
        deletion boolean NOT NULL DEFAULT false,
        override boolean NOT NULL DEFAULT false,
        conflict text CHECK (conflict IN ('prefer-first', 'prefer-second', 'newest', 'hold')),
        reconcile_cron text DEFAULT '0 * * * *',
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'dual-master') = (conflict IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE topology_node (
        topology_id uuid NOT NULL REFERENCES topology(id) ON DELETE CASCADE,
        registry_id uuid NOT NULL REFERENCES registry(id) ON DELETE RESTRICT,
        parent_registry_id uuid,
        namespace text,
        position integer NOT NULL,
        PRIMARY KEY (topology_id, registry_id)
      )`);
    await q.query('CREATE INDEX topology_node_registry ON topology_node (registry_id)');
    await q.query(`
      CREATE TABLE topology_conflict (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        topology_id uuid NOT NULL REFERENCES topology(id) ON DELETE CASCADE,
        repository text NOT NULL,
        tag text NOT NULL,
        digests jsonb NOT NULL,
        resolution text NOT NULL,
        resolved_digest text,
        detected_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz
      )`);
    // One open conflict per tag: a pair finding the same conflict again does not repeat it.
    await q.query(
      `CREATE UNIQUE INDEX topology_conflict_open ON topology_conflict (topology_id, repository, tag) WHERE resolved_at IS NULL`,
    );
    await q.query(
      'CREATE INDEX topology_conflict_detected ON topology_conflict (topology_id, detected_at DESC)',
    );
    await q.query(`
      CREATE TABLE topology_node_state (
        topology_id uuid NOT NULL REFERENCES topology(id) ON DELETE CASCADE,
        registry_id uuid NOT NULL,
        missing integer,
        different integer,
        checked_at timestamptz,
        last_delivered_at timestamptz,
        last_lag_seconds double precision,
        last_error text,
        last_error_at timestamptz,
        PRIMARY KEY (topology_id, registry_id)
      )`);
    await q.query(`
      CREATE TABLE topology_backlog (
        topology_id uuid NOT NULL REFERENCES topology(id) ON DELETE CASCADE,
        parent_registry_id uuid NOT NULL,
        child_registry_id uuid NOT NULL,
        operation text NOT NULL CHECK (operation IN ('copy', 'delete')),
        source_repository text NOT NULL,
        destination_repository text NOT NULL,
        tag text NOT NULL,
        digest text NOT NULL,
        event_at timestamptz,
        failed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (topology_id, child_registry_id, destination_repository, tag)
      )`);
    await q.query(`
      CREATE TABLE topology_push (
        topology_id uuid NOT NULL REFERENCES topology(id) ON DELETE CASCADE,
        registry_id uuid NOT NULL,
        repository text NOT NULL,
        tag text NOT NULL,
        digest text,
        pushed_at timestamptz NOT NULL,
        PRIMARY KEY (topology_id, registry_id, repository, tag)
      )`);
    await q.query(`
      CREATE TABLE topology_tick (
        topology_id uuid NOT NULL REFERENCES topology(id) ON DELETE CASCADE,
        tick_at timestamptz NOT NULL,
        execution_id uuid,
        PRIMARY KEY (topology_id, tick_at)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'topology_tick',
      'topology_push',
      'topology_backlog',
      'topology_node_state',
      'topology_conflict',
      'topology_node',
      'topology',
    ])
      await q.query(`DROP TABLE ${table}`);
    await q.query(`DELETE FROM execution WHERE owner_kind = 'topology'`);
    await q.query('ALTER TABLE task DROP COLUMN destination_expected');
  }
}
