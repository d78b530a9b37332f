import { createServer, type Server } from 'node:http';
import { freePort } from '../../src/common/free-port.js';
import { startRegistry, type TestRegistry } from './registry.js';

/**
 * The test harness itself: a port that another test file binds between freePort() and
 * the registry's own bind must not fail the file (CI saw "bind: address already in use"),
 * nor leave the test talking to the other process.
 */
describe('startRegistry', () => {
  let impostor: Server;
  let registry: TestRegistry | undefined;

  beforeAll(async () => {
    // Answers /v2/ as a registry would, so a probe by status alone would take it for ours.
    impostor = createServer((_, response) => response.writeHead(200).end('{}'));
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await registry?.destroy();
    await new Promise((resolve) => impostor.close(resolve));
  });

  it('starts on another port when the chosen one is taken before it binds', async () => {
    const taken = (impostor.address() as { port: number }).port;
    const ports: number[] = [];
    registry = await startRegistry({
      choosePort: async () => {
        const port = ports.length === 0 ? taken : await freePort();
        ports.push(port);
        return port;
      },
    });

    expect(ports).toHaveLength(2);
    expect(ports[0]).toBe(taken);
    expect(registry.port).toBe(ports[1]);
    const response = await fetch(`${registry.url}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });
});
