package dev.kindling.activities.egress;

import dev.kindling.workflows.egress.EgressRefusal;
import dev.kindling.workflows.egress.EgressReport;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** What one VM's guest did through the proxy, for its report and its meters. */
final class EgressCounts {
  private final EgressMeters meters;
  private final LongAdder connections = new LongAdder();
  private final LongAdder refusals = new LongAdder();
  private final AtomicLong fromGuest = new AtomicLong();
  private final AtomicLong toGuest = new AtomicLong();
  private final ArrayDeque<EgressRefusal> lastRefusals = new ArrayDeque<>();

  EgressCounts(EgressMeters meters) {
    this.meters = meters;
  }

  void connection() {
    connections.increment();
    meters.connection();
  }

  void refusal(EgressRefusal refusal) {
    refusals.increment();
    meters.refusal(refusal.status());
    synchronized (lastRefusals) {
      if (lastRefusals.size() == EgressReport.LAST_REFUSALS) {
        lastRefusals.removeFirst();
      }
      lastRefusals.addLast(refusal);
    }
  }

  /** Adds bytes the guest sent; returns the total both ways so far. */
  long fromGuest(long bytes) {
    meters.fromGuest(bytes);
    return fromGuest.addAndGet(bytes) + toGuest.get();
  }

  /** Adds bytes the guest received; returns the total both ways so far. */
  long toGuest(long bytes) {
    meters.toGuest(bytes);
    return toGuest.addAndGet(bytes) + fromGuest.get();
  }

  long bothWays() {
    return fromGuest.get() + toGuest.get();
  }

  EgressReport report(List<String> rules, int openConnections) {
    List<EgressRefusal> last;
    synchronized (lastRefusals) {
      last = List.copyOf(lastRefusals);
    }
    return new EgressReport(
        rules,
        openConnections,
        connections.sum(),
        refusals.sum(),
        fromGuest.get(),
        toGuest.get(),
        last);
  }

  void removeMeters() {
    meters.remove();
  }
}
