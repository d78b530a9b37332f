import { formatDuration } from '../format';
import type { Gate } from './pipeline-types';

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** What a stage's gate asks for, in words ("2 approvals by admin", "soak 1 h 00 min"). */
export function gateText(gate: Gate): string {
  switch (gate.type) {
    case 'approval': {
      const required = num(gate.required ?? 1);
      const roles =
        Array.isArray(gate.roles) && gate.roles.length ? ` by ${gate.roles.join(' or ')}` : '';
      const expires = gate.expiresAfterSeconds
        ? `, within ${formatDuration(num(gate.expiresAfterSeconds) * 1000)}`
        : '';
      return `${required} ${required === 1 ? 'approval' : 'approvals'}${roles}${expires}`;
    }
    case 'signature':
      return `a cosign signature that verifies with the stage's key${gate.artifactType ? ` (${str(gate.artifactType)})` : ''}`;
    case 'referrer':
      return `a referrer of type ${str(gate.artifactType)}`;
    case 'soak':
      return `soaked ${formatDuration(num(gate.seconds) * 1000)} in the previous stage`;
    case 'check':
      return `the check at ${str(gate.url)} answers 2xx (waits up to ${formatDuration(num(gate.timeoutSeconds) * 1000)})`;
    case 'window':
      return `inside a promotion window: cron ${str(gate.cron)}, ${num(gate.durationMinutes)} min each (${str(gate.timeZone) || 'UTC'})`;
    default:
      return gate.type;
  }
}
