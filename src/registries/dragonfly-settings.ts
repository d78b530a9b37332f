import { InvalidInputException } from '../common/validation.js';
import type { DragonflyManagerInputDto } from './dto/dragonfly.dto.js';
import type { DragonflyManagerSettings, RegistryEntity } from './registry.entity.js';
import { normaliseRegistryUrl } from './registry-url.js';

type DragonflyColumns = Pick<RegistryEntity, 'dragonfly' | 'dragonflyTokenSealed'>;

/**
 * The registry columns for a Dragonfly manager given over the API (null removes it).
 * The token is bound to the manager's origin: kept when an update leaves the origin
 * alone, required when it is new or the URL points elsewhere, so a token is never
 * sent to a host it was not given for.
 */
export function dragonflyColumns(
  input: DragonflyManagerInputDto | null,
  current: DragonflyColumns,
  seal: (token: string) => string,
): DragonflyColumns {
  if (input === null) return { dragonfly: null, dragonflyTokenSealed: null };
  const normalised = normaliseRegistryUrl(input.url);
  if ('reason' in normalised) {
    throw new InvalidInputException([
      {
        field: 'dragonfly.url',
        reason: `dragonfly.url ${normalised.reason.replace("registry's", "manager's")}`,
      },
    ]);
  }
  const sameOrigin = current.dragonfly !== null && current.dragonfly.url === normalised.url;
  if (input.token === undefined && !(sameOrigin && current.dragonflyTokenSealed)) {
    throw new InvalidInputException([
      {
        field: 'dragonfly.token',
        reason:
          'dragonfly.token is required when the manager is first set or its URL changes origin ' +
          '(a Dragonfly personal access token with the job scope)',
      },
    ]);
  }
  const settings: DragonflyManagerSettings = {
    url: normalised.url,
    scope: input.scope ?? 'single_seed_peer',
    platforms: input.platforms ?? [],
    schedulerClusterIds: input.schedulerClusterIds ?? [],
    passCredentials: input.passCredentials ?? false,
  };
  return {
    dragonfly: settings,
    dragonflyTokenSealed:
      input.token === undefined ? current.dragonflyTokenSealed : seal(input.token),
  };
}
