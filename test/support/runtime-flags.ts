import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The V8 flags regrelay runs with, read from package.json's `start` script (`node
 * <flags> dist/main.js`), the one place they are written: tests and benchmarks start
 * regrelay with them, and test/deploy checks the Dockerfile's CMD against them.
 */
export function runtimeFlags(): string[] {
  const start = checkoutPackage().scripts.start;
  const [node, ...rest] = start.trim().split(/\s+/);
  const main = rest.pop();
  if (node !== 'node' || main !== 'dist/main.js' || rest.some((a) => !a.startsWith('--')))
    throw new Error(`package.json start is not \`node [--flag…] dist/main.js\`: ${start}`);
  return rest;
}

/** regrelay's package.json, above this file wherever it was compiled to (dist/bench…). */
function checkoutPackage(): { scripts: { start: string } } {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (!existsSync(path)) continue;
    const pkg = JSON.parse(readFileSync(path, 'utf8')) as {
      name?: string;
      scripts: { start: string };
    };
    if (pkg.name === 'regrelay') return pkg;
  }
  throw new Error(`no regrelay package.json above ${import.meta.dirname}`);
}
