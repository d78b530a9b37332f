import { RegistryClient } from '../../src/oci/index.js';

/** Registry clients a test opens as it goes, closed together at the end. */
export class ClientSet {
  private readonly opened: RegistryClient[] = [];

  open(name: string, url: string): RegistryClient {
    const client = new RegistryClient({ name, url });
    this.opened.push(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.opened.splice(0).map((c) => c.close()));
  }
}
