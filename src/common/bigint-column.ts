import type { ValueTransformer } from 'typeorm';

/**
 * pg returns bigint columns as strings; regrelay's bigints (byte counts, bandwidth)
 * stay far below 2^53, so they are plain numbers in the code.
 */
export const bigintColumn: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
