import { BadGatewayException } from '@nestjs/common';
import { describeError } from '../common/describe-error.js';
import type { Descriptor, RegistryClient } from '../oci/index.js';

/**
 * HEAD of a manifest while a request is being answered: a registry that cannot be
 * asked is a 502 naming it, the repository and the reference, not a 500.
 */
export async function headOrBadGateway(
  client: RegistryClient,
  registry: string,
  repository: string,
  reference: string,
): Promise<Pick<Descriptor, 'digest' | 'mediaType' | 'size'> | undefined> {
  try {
    return await client.headManifest(repository, reference);
  } catch (error) {
    throw new BadGatewayException(
      `Registry ${registry} could not be asked for ${repository}${reference.includes(':') ? '@' : ':'}${reference}: ${describeError(error)}`,
    );
  }
}
