import { CronTime, validateCronExpression } from 'cron';
import { z } from 'zod';
import type { FieldError } from '../../common/validation.js';
import { parsePublicKey } from './cosign-signature.js';
import type { Gate } from './gate-types.js';

const seconds = (max: number) => z.number().int().min(1).max(max);
const mediaType = z
  .string()
  .min(3)
  .max(255)
  .regex(
    /^[a-z0-9][a-z0-9.+_-]*\/[a-z0-9][a-z0-9.+_-]*$/i,
    'must be a media type like application/spdx+json',
  );

const gateSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('approval'),
    required: z.number().int().min(1).max(20),
    roles: z
      .array(z.enum(['operator', 'admin']))
      .min(1)
      .optional(),
    expiresAfterSeconds: seconds(90 * 86_400).optional(),
  }),
  z.strictObject({
    type: z.literal('signature'),
    publicKey: z
      .string()
      .max(10_000)
      .superRefine((pem, ctx) => {
        try {
          parsePublicKey(pem);
        } catch (error) {
          ctx.addIssue({
            code: 'custom',
            message: `must be a PEM public key: ${(error as Error).message}`,
          });
        }
      }),
    artifactType: mediaType.optional(),
  }),
  z.strictObject({ type: z.literal('referrer'), artifactType: mediaType }),
  z.strictObject({ type: z.literal('soak'), seconds: seconds(90 * 86_400) }),
  z.strictObject({
    type: z.literal('check'),
    url: z
      .string()
      .max(2000)
      .refine((v) => {
        try {
          return ['http:', 'https:'].includes(new URL(v).protocol);
        } catch {
          return false;
        }
      }, 'must be an http(s) URL'),
    timeoutSeconds: seconds(86_400),
  }),
  z
    .strictObject({
      type: z.literal('window'),
      cron: z.string().max(200),
      durationMinutes: z
        .number()
        .int()
        .min(1)
        .max(7 * 24 * 60),
      timeZone: z.string().max(100).optional(),
    })
    .superRefine((w, ctx) => {
      const check = validateCronExpression(w.cron);
      if (!check.valid)
        ctx.addIssue({
          code: 'custom',
          path: ['cron'],
          message: `must be a cron expression (${String(check.error ?? 'invalid')})`,
        });
      else if (w.timeZone) {
        try {
          new CronTime(w.cron, w.timeZone).getNextDateFrom(new Date());
        } catch {
          ctx.addIssue({
            code: 'custom',
            path: ['timeZone'],
            message: 'must be an IANA time zone',
          });
        }
      }
    }),
]);

/** Reads a stage's gates; every problem as a field under `at` (e.g. `stages[2].gates[0].required`). */
export function parseGates(raw: unknown, at: string): { gates: Gate[]; problems: FieldError[] } {
  const parsed = z
    .array(gateSchema)
    .max(20)
    .safeParse(raw ?? []);
  if (parsed.success) return { gates: parsed.data as Gate[], problems: [] };
  return {
    gates: [],
    problems: parsed.error.issues.map((issue) => ({
      field: [at, ...issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))]
        .join('')
        .replace(/\.\[/g, '['),
      reason:
        issue.code === 'invalid_union'
          ? 'type must be one of approval, signature, referrer, soak, check, window'
          : issue.message,
    })),
  };
}
