import { describe, expect, it } from '@jest/globals';
import { parseLag } from './lag-metrics';

const EXPOSITION = `# HELP regrelay_replication_lag_seconds Push at the source to arrival.
# TYPE regrelay_replication_lag_seconds histogram
regrelay_replication_lag_seconds_bucket{le="1",policy="hq",destination="east"} 2
regrelay_replication_lag_seconds_bucket{le="5",policy="hq",destination="east"} 19
regrelay_replication_lag_seconds_bucket{le="30",policy="hq",destination="east"} 20
regrelay_replication_lag_seconds_bucket{le="+Inf",policy="hq",destination="east"} 20
regrelay_replication_lag_seconds_sum{policy="hq",destination="east"} 50
regrelay_replication_lag_seconds_count{policy="hq",destination="east"} 20
regrelay_replication_lag_seconds_bucket{le="1",policy="idle",destination="west"} 0
regrelay_replication_lag_seconds_bucket{le="+Inf",policy="idle",destination="west"} 0
regrelay_replication_lag_seconds_sum{policy="idle",destination="west"} 0
regrelay_replication_lag_seconds_count{policy="idle",destination="west"} 0
regrelay_other_total 3
`;

describe('parseLag', () => {
  it('summarises each policy and destination that measured arrivals', () => {
    expect(parseLag(EXPOSITION)).toEqual([
      { policy: 'hq', destination: 'east', count: 20, meanSeconds: 2.5, p95AtMostSeconds: 5 },
    ]);
  });

  it('reads nothing from an exposition without the histogram', () => {
    expect(parseLag('regrelay_other_total 3\n')).toEqual([]);
  });
});
