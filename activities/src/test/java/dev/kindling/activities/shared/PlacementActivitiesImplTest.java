package dev.kindling.activities.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementRequest;
import dev.kindling.workflows.hosts.HostCapacity;
import dev.kindling.workflows.hosts.HostRecord;
import dev.kindling.workflows.hosts.HostReport;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The activity around {@link dev.kindling.workflows.hosts.HostSelection} (tested on its own in the
 * workflows module): input checks, the sessions it placed itself, and reading the records again
 * when the cached ones cannot place a session.
 */
class PlacementActivitiesImplTest {
  static final ImageRef TERMINAL = new ImageRef("1".repeat(64), "snap", "6.12", 2, "terminal");
  static final Instant NOW = Instant.parse("2026-12-03T08:00:00Z");

  /** Records that change only when the test says, counting fresh reads. */
  static class Records implements HostRecords {
    List<HostRecord> cached = List.of();
    List<HostRecord> fresh = List.of();
    int freshReads;

    @Override
    public List<HostRecord> cached() {
      return cached;
    }

    @Override
    public List<HostRecord> fresh() {
      freshReads++;
      cached = fresh;
      return fresh;
    }
  }

  static HostRecord host(String id, int slots, int running) {
    return new HostRecord(
        id,
        new HostReport(
            id,
            new HostCapacity(2, 4096, slots),
            running,
            Map.of("terminal", TERMINAL),
            List.of(TERMINAL),
            Map.of(),
            null,
            60,
            NOW.toEpochMilli()),
        NOW.toEpochMilli(),
        1,
        null,
        0);
  }

  /** The host's record, its report also storing {@code image}. */
  static HostRecord withStored(HostRecord record, ImageRef image) {
    HostReport report = record.report();
    List<ImageRef> stored = new ArrayList<>(report.stored());
    stored.add(image);
    return new HostRecord(
        record.hostId(),
        new HostReport(
            report.hostId(),
            report.capacity(),
            report.runningVms(),
            report.images(),
            stored,
            report.poolReady(),
            report.proxyUrl(),
            report.lostAfterSeconds(),
            report.sentAtEpochMillis()),
        record.reportedAtMillis(),
        record.reports(),
        record.drainReason(),
        record.lostAtMillis());
  }

  private final Records records = new Records();
  private Instant now = NOW;

  /** The test's {@link #now}. */
  private final Clock clock =
      new Clock() {
        @Override
        public java.time.ZoneId getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now;
        }
      };

  private PlacementActivitiesImpl placement() {
    return new PlacementActivitiesImpl(records, "terminal", clock);
  }

  @Test
  void badIdsAreInvalidInputBeforeAnyRecordIsRead() {
    PlacementActivitiesImpl placement = placement();
    for (PlacementRequest bad :
        new PlacementRequest[] {
          new PlacementRequest("a b", null, null),
          new PlacementRequest("s", "../image", null),
          new PlacementRequest("s", null, "../browser"),
          new PlacementRequest("s", null, "Browser"),
          new PlacementRequest("s", null, null, List.of("Bad Host"))
        }) {
      ApplicationFailure failure =
          assertThrows(ApplicationFailure.class, () -> placement.place(bad));
      assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    }
    assertEquals(0, records.freshReads);
  }

  @Test
  void aWorkerCountsWhatItPlacedUntilReportsCanShowIt() {
    records.cached = List.of(host("h1", 4, 0), host("h2", 4, 2));
    records.fresh = records.cached;
    PlacementActivitiesImpl placement = placement();
    Map<String, Integer> placed = new HashMap<>();
    for (int i = 0; i < 6; i++) {
      placed.merge(
          placement.place(new PlacementRequest("s" + i, null, null)).hostId(), 1, Integer::sum);
    }
    assertEquals(Map.of("h1", 4, "h2", 2), placed, "6 free slots, 6 sessions");
    ApplicationFailure full =
        assertThrows(
            ApplicationFailure.class,
            () -> placement.place(new PlacementRequest("s7", null, null)));
    assertEquals(FailureKind.NO_CAPACITY.type(), full.getType());
  }

  @Test
  void placementsOlderThanAReportAndAVmStartNoLongerCount() {
    records.cached = List.of(host("h1", 1, 0));
    records.fresh = records.cached;
    List<String> hosts = new ArrayList<>();
    PlacementActivitiesImpl placement = placement();
    hosts.add(placement.place(new PlacementRequest("s1", null, null)).hostId());
    assertThrows(
        ApplicationFailure.class, () -> placement.place(new PlacementRequest("s2", null, null)));
    now = NOW.plusMillis(PlacementActivitiesImpl.PENDING_MILLIS + 1);
    records.cached = List.of(host("h1", 1, 0)); // reported at NOW: still live 15 s later
    hosts.add(placement.place(new PlacementRequest("s2", null, null)).hostId());
    assertEquals(List.of("h1", "h1"), hosts);
  }

  @Test
  void anImageBuiltAMomentAgoIsPlacedOnceItsHostsNextReportShowsIt() {
    ImageRef built = new ImageRef("2".repeat(64), "snap", "6.12", 2, "terminal");
    HostRecord before = host("h1", 4, 0);
    HostRecord after = withStored(before, built);
    Records reporting =
        new Records() {
          @Override
          public List<HostRecord> fresh() {
            freshReads++;
            cached = freshReads < 3 ? List.of(before) : List.of(after);
            return cached;
          }
        };
    reporting.cached = List.of(before);

    Placement placed =
        new PlacementActivitiesImpl(reporting, "terminal", clock, Duration.ofSeconds(10))
            .place(new PlacementRequest("s", built.imageId(), null));

    assertEquals("h1", placed.hostId());
    assertEquals(3, reporting.freshReads, "read again until the report showed the image");
  }

  @Test
  void anImageNoHostReportsIsUnknownImageOnceTheNextReportsHadTimeToArrive() {
    records.cached = List.of(host("h1", 4, 0));
    records.fresh = records.cached;

    ApplicationFailure unknown =
        assertThrows(
            ApplicationFailure.class,
            () ->
                new PlacementActivitiesImpl(records, "terminal", clock, Duration.ofMillis(1200))
                    .place(new PlacementRequest("s", "3".repeat(64), null)));

    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), unknown.getType());
    assertTrue(records.freshReads >= 2, "read again meanwhile: " + records.freshReads);
  }

  @Test
  void aHostMissingFromTheCachedRecordsIsFoundByReadingThemAgain() {
    records.cached = List.of();
    records.fresh = List.of(host("h9", 4, 0));

    assertEquals("h9", placement().place(new PlacementRequest("s", null, null)).hostId());
    assertEquals(1, records.freshReads);
  }
}
