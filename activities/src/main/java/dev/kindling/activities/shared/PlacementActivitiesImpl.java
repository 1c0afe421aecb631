package dev.kindling.activities.shared;

import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementActivities;
import dev.kindling.workflows.host.PlacementRequest;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostSelection;
import dev.kindling.workflows.hosts.HostWorkflow;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Places a session by the hosts' records ({@link HostSelection}). A host's report lags the sessions
 * placed on it by up to its report interval plus a VM's start, so this worker counts what it placed
 * in the last {@link #PENDING_MILLIS} as taken; other workers' placements it learns from the next
 * reports.
 */
public final class PlacementActivitiesImpl implements PlacementActivities {
  static final long PENDING_MILLIS = HostWorkflow.REPORT_EVERY.toMillis() + 10_000;

  /**
   * When no host has the image, placement reads the records again until every host's next report
   * had time to arrive: an image built a moment ago (by {@code kindling image build} on a host,
   * say) is in its host's next report. Well inside the placement's 10 s start-to-close timeout.
   */
  static final Duration NEXT_REPORT_WAIT = HostWorkflow.REPORT_EVERY.plusSeconds(1);

  private static final Duration READ_AGAIN_EVERY = Duration.ofMillis(500);

  private final HostRecords records;
  private final String defaultTemplate;
  private final Clock clock;
  private final Map<String, Deque<Long>> placedAt = new HashMap<>();
  private final Duration nextReportWait;

  public PlacementActivitiesImpl(HostRecords records, String defaultTemplate, Clock clock) {
    this(records, defaultTemplate, clock, NEXT_REPORT_WAIT);
  }

  PlacementActivitiesImpl(
      HostRecords records, String defaultTemplate, Clock clock, Duration nextReportWait) {
    this.records = records;
    this.defaultTemplate = defaultTemplate;
    this.clock = clock;
    this.nextReportWait = nextReportWait;
  }

  @Override
  public Placement place(PlacementRequest request) {
    HostFailures.typed(
        null,
        () -> {
          Validation.sessionId(request.sessionId());
          if (request.imageId() != null) {
            Validation.imageId(request.imageId());
          }
          if (request.template() != null) {
            Validation.templateId(request.template());
          }
          request.avoid().forEach(Validation::hostId);
        });
    Placement placed;
    try {
      placed = choose(request, records.cached());
    } catch (ApplicationFailure e) {
      // A host that started or changed a moment ago may be missing from the cached records.
      placed = chooseFresh(request);
    }
    synchronized (placedAt) {
      placedAt.computeIfAbsent(placed.hostId(), h -> new ArrayDeque<>()).add(clock.millis());
    }
    return placed;
  }

  /** From records read now; while no host has the image, for up to {@link #nextReportWait}. */
  private Placement chooseFresh(PlacementRequest request) {
    long until = System.nanoTime() + nextReportWait.toNanos();
    while (true) {
      try {
        return choose(request, records.fresh());
      } catch (ApplicationFailure e) {
        if (!FailureKind.UNKNOWN_IMAGE.type().equals(e.getType())
            || System.nanoTime() - until >= 0) {
          throw e;
        }
      }
      try {
        Thread.sleep(READ_AGAIN_EVERY);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw FailureKind.UNKNOWN_IMAGE.failure("placement was interrupted");
      }
    }
  }

  private Placement choose(PlacementRequest request, List<HostRecord> hosts) {
    return HostSelection.choose(request, defaultTemplate, hosts, pending(), clock.millis());
  }

  private Map<String, Integer> pending() {
    long since = clock.millis() - PENDING_MILLIS;
    Map<String, Integer> pending = new HashMap<>();
    synchronized (placedAt) {
      placedAt.forEach(
          (host, times) -> {
            while (!times.isEmpty() && times.peekFirst() < since) {
              times.removeFirst();
            }
            pending.put(host, times.size());
          });
    }
    return pending;
  }
}
