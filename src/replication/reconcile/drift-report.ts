/** One destination's drift, as a reconcile found it. */
export interface DestinationDrift {
  destinationRegistryId: string;
  /** Source tags the destination lacks. */
  missing: number;
  /** Source tags the destination holds with another digest. */
  different: number;
  /** Tags regrelay wrote that the source no longer has, still at the destination. */
  extra: number;
  /** Tags that could not be read at the destination (down, denied…). */
  unreadable: number;
  /** Images in place whose signatures, attestations or SBOMs the destination lacks. */
  attached: number;
  /** A few `repository:tag` examples of each kind, to start looking. */
  samples: {
    missing: string[];
    different: string[];
    extra: string[];
    unreadable: string[];
    attached: string[];
  };
}

export interface DriftReport {
  policyId: string;
  checkedAt: Date;
  destinations: DestinationDrift[];
  /** The execution started to repair the drift, when the policy asks for repairs. */
  repairExecutionId: string | null;
}

export const SAMPLES_PER_KIND = 20;

export function emptyDrift(destinationRegistryId: string): DestinationDrift {
  return {
    destinationRegistryId,
    missing: 0,
    different: 0,
    extra: 0,
    unreadable: 0,
    attached: 0,
    samples: { missing: [], different: [], extra: [], unreadable: [], attached: [] },
  };
}

/** Counts one finding and keeps it as a sample while there is room. */
export function note(
  drift: DestinationDrift,
  kind: keyof DestinationDrift['samples'],
  item: string,
): void {
  drift[kind]++;
  if (drift.samples[kind].length < SAMPLES_PER_KIND) drift.samples[kind].push(item);
}
