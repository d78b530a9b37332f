import type { FaultRule } from './fault-proxy.js';
import type { Fault } from './fuzz-plan.js';

/** A fault in words, for the run's log. */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'stop-registry':
      return `${f.node} stopped ${f.when === 'before-ops' ? 'before the ops' : `${f.afterMs} ms after the ops' webhooks were taken`}, for ${f.downMs} ms`;
    case 'kill-regrelay':
      return `regrelay SIGKILLed ${f.afterMs} ms after the ops, started ${f.downMs} ms later`;
    case 'lose-echoes':
      return `${f.node} loses the webhooks of regrelay's own writes`;
    case 'drop-connection':
      return `${f.node}'s proxy cuts one ${f.request} request (after ${f.afterBytes} bytes, letting ${f.skip} through first)`;
  }
}

/** The fault proxy rule of a drop-connection fault: one request, cut or refused. */
export function proxyRuleOf(f: Extract<Fault, { kind: 'drop-connection' }>): FaultRule {
  const base = { times: 1, skip: f.skip };
  switch (f.request) {
    case 'blob-get':
      return {
        ...base,
        method: 'GET',
        path: /\/blobs\/sha256:/,
        action: { kind: 'drop-response', afterBytes: f.afterBytes },
      };
    case 'blob-upload':
      return {
        ...base,
        path: /\/blobs\/uploads\/[^?]/,
        action: { kind: 'drop-request-streaming', afterBytes: f.afterBytes % 512 },
      };
    case 'manifest-get':
      return {
        ...base,
        method: 'GET',
        path: /\/manifests\//,
        action: { kind: 'drop-response', afterBytes: f.afterBytes % 256 },
      };
    case 'manifest-put':
      // Odd: the registry never sees it; even: it commits the manifest, the answer is cut.
      return {
        ...base,
        method: 'PUT',
        path: /\/manifests\//,
        action:
          f.afterBytes % 2
            ? { kind: 'drop-request-buffered', afterBytes: 0 }
            : { kind: 'drop-response', afterBytes: 0 },
      };
    case 'unavailable':
      return {
        ...base,
        path: /^\/v2\/.+/,
        action: {
          kind: 'respond',
          status: 503,
          body: '{"errors":[{"code":"UNAVAILABLE","message":"fuzz"}]}',
        },
      };
  }
}
