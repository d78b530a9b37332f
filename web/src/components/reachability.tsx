import { useState } from 'preact/hooks';
import { api, errorText } from '../api/client';
import type { PingResult, Registry } from '../api/types';
import { When } from './time';

export interface PingState {
  pending?: boolean;
  result?: PingResult;
  error?: string;
}

/** Pings registries on request (POST /registries/:id/ping) and remembers each answer. */
export function usePings(onPinged?: () => void) {
  const [pings, setPings] = useState<Record<string, PingState>>({});
  const ping = async (registry: Registry) => {
    setPings((p) => ({ ...p, [registry.id]: { pending: true } }));
    try {
      const result = await api<PingResult>(`/api/v1/registries/${registry.id}/ping`, {
        method: 'POST',
      });
      setPings((p) => ({ ...p, [registry.id]: { result } }));
      onPinged?.();
    } catch (e) {
      setPings((p) => ({ ...p, [registry.id]: { error: errorText(e) } }));
    }
  };
  return { pings, ping };
}

/** The answer of the last ping from this page, else when the registry last answered one. */
export function Reachability({
  registry,
  ping,
}: {
  registry: Registry;
  ping: PingState | undefined;
}) {
  if (ping?.pending) return <span class="muted">pinging…</span>;
  if (ping?.error !== undefined) return <span class="text-bad">{ping.error}</span>;
  if (ping?.result) {
    const result = ping.result;
    return result.reachable ? (
      <span>
        <span class="text-good">reachable</span>, {result.latencyMs} ms
        {result.error && <span class="text-bad block">{result.error}</span>}
      </span>
    ) : (
      <span class="text-bad">unreachable: {result.error}</span>
    );
  }
  return registry.capabilitiesCheckedAt ? (
    <span>
      last good ping <When iso={registry.capabilitiesCheckedAt} inline />
    </span>
  ) : (
    <span class="muted">never pinged</span>
  );
}
