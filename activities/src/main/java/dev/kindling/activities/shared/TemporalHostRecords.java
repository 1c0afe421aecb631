package dev.kindling.activities.shared;

import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.hosts.HostRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The running {@code KindlingHost} workflows, each asked to describe itself: one visibility list
 * and a query per host, read again when the last read is older than {@link #MAX_AGE}.
 */
public final class TemporalHostRecords implements HostRecords {
  /** Hosts report every 5 s; a read this old adds at most this much to a record's age. */
  static final Duration MAX_AGE = Duration.ofSeconds(2);

  private final KindlingClient client;
  private final Clock clock;
  private List<HostRecord> records;
  private long readAtMillis;

  public TemporalHostRecords(KindlingClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public synchronized List<HostRecord> cached() {
    if (records == null || clock.millis() - readAtMillis > MAX_AGE.toMillis()) {
      return fresh();
    }
    return records;
  }

  @Override
  public synchronized List<HostRecord> fresh() {
    records = client.hosts();
    readAtMillis = clock.millis();
    return records;
  }
}
