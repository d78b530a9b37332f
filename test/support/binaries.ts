import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_HINTS: Record<string, string> = {
  'docker-registry':
    'Install CNCF distribution: `sudo apt-get install docker-registry` (Debian/Ubuntu), ' +
    'or set REGRELAY_TEST_REGISTRY_BIN to a `registry` binary, or make a Docker engine ' +
    'reachable so the tests can use the registry:2 image.',
  skopeo: 'Install skopeo: `sudo apt-get install skopeo` (Debian/Ubuntu) or `brew install skopeo`.',
  kubectl:
    'Install kubectl (it renders kustomize offline): `sudo apt-get install kubernetes-client` (Debian).',
  buildah: 'Install buildah: `sudo apt-get install buildah` (Debian/Ubuntu).',
  chromium:
    "Install Debian's Chromium: `sudo apt-get install chromium`, or set REGRELAY_TEST_CHROMIUM " +
    'to a Chromium or Chrome binary. Nothing downloads a browser.',
};

/** Finds an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Finds a tool the tests need, or fails with a message that says how to install it. */
export function requireBinary(name: string, override?: string): string {
  const found = override ?? which(name);
  if (!found) {
    throw new Error(
      `The tests need \`${name}\`, which is not on PATH. ${INSTALL_HINTS[name] ?? ''}`,
    );
  }
  return found;
}
