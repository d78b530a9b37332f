import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { requireBinary } from './binaries.js';

const run = promisify(execFile);

/** A Kubernetes object as rendered: enough typing to find it and read it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  [field: string]: unknown;
}

/** Renders a kustomization directory with `kubectl kustomize` (offline) into objects. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const kubectl = requireBinary('kubectl');
  const { stdout } = await run(kubectl, ['kustomize', dir], {
    maxBuffer: 16 << 20,
    timeout: 60_000,
  });
  return parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length) throw new Error(`kubectl kustomize ${dir}: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
}
