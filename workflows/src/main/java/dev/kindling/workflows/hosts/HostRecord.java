package dev.kindling.workflows.hosts;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Duration;

/**
 * A host as its record says: its last report, when that arrived, and whether it is drained.
 *
 * @param report the last report; null before the first
 * @param reportedAtMillis when the record took the last report (the record's clock, which is the
 *     Temporal server's)
 * @param drainReason why the host takes no new sessions; null when it takes them
 * @param lostAtMillis when the record found the host silent past its {@code lostAfterSeconds} and
 *     ended its READY sessions; 0 while it reports
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostRecord(
    String hostId,
    HostReport report,
    long reportedAtMillis,
    long reports,
    String drainReason,
    long lostAtMillis) {

  /** A host's first record, before any report. */
  public static HostRecord first(String hostId) {
    return new HostRecord(hostId, null, 0, 0, null, 0);
  }

  public boolean lost() {
    return lostAtMillis > 0;
  }

  public boolean drained() {
    return drainReason != null;
  }

  /** Whether the last report is younger than {@code staleAfter} at {@code nowMillis}. */
  public boolean liveAt(long nowMillis, Duration staleAfter) {
    return report != null && nowMillis - reportedAtMillis <= staleAfter.toMillis();
  }
}
