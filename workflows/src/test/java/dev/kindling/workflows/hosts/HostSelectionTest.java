package dev.kindling.workflows.hosts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementRequest;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostSelectionTest {
  static final long NOW = 1_000_000_000L;
  static final ImageRef OLD = new ImageRef("0".repeat(64), null, "6.12", 1, "terminal");
  static final ImageRef NEW = new ImageRef("1".repeat(64), "snap", "6.12", 2, "terminal");
  static final ImageRef BROWSER = new ImageRef("2".repeat(64), "snap-b", "6.12", 3, "browser");

  /** A live host with {@code slots} VM slots, {@code running} taken, and these current images. */
  static HostRecord host(String id, int slots, int running, ImageRef... currents) {
    Map<String, ImageRef> images = new HashMap<>();
    for (ImageRef image : currents) {
      images.put(image.template(), image);
    }
    return new HostRecord(
        id,
        new HostReport(
            id,
            new HostCapacity(8, 32768, slots),
            running,
            images,
            List.of(OLD, NEW, BROWSER).stream().filter(i -> images.containsValue(i)).toList(),
            Map.of(),
            "http://" + id + ".test:6090",
            60,
            NOW),
        NOW - 1000,
        10,
        null,
        0);
  }

  static HostRecord withPool(HostRecord record, String template, int ready) {
    HostReport r = record.report();
    return new HostRecord(
        record.hostId(),
        new HostReport(
            r.hostId(),
            r.capacity(),
            r.runningVms(),
            r.images(),
            r.stored(),
            Map.of(template, ready),
            r.proxyUrl(),
            r.lostAfterSeconds(),
            r.sentAtEpochMillis()),
        record.reportedAtMillis(),
        record.reports(),
        null,
        0);
  }

  static HostRecord drained(HostRecord record, String reason) {
    return new HostRecord(
        record.hostId(), record.report(), record.reportedAtMillis(), 10, reason, 0);
  }

  static HostRecord reportedAt(HostRecord record, long at) {
    return new HostRecord(record.hostId(), record.report(), at, 10, null, 0);
  }

  private static Placement place(List<HostRecord> hosts, PlacementRequest request) {
    return HostSelection.choose(request, "terminal", hosts, Map.of(), NOW);
  }

  private static ApplicationFailure refused(List<HostRecord> hosts, PlacementRequest request) {
    return assertThrows(
        ApplicationFailure.class,
        () -> HostSelection.choose(request, "terminal", hosts, Map.of(), NOW));
  }

  @Test
  void theHostWithTheMostFreeSlotsTakesTheSessionWithItsQueueImageAndProxy() {
    List<HostRecord> hosts =
        List.of(host("h1", 10, 8, NEW), host("h2", 10, 3, NEW), host("h3", 4, 0, NEW));

    Placement placed = place(hosts, new PlacementRequest("s1", null, null));

    assertEquals("h2", placed.hostId(), "7 free beats 4 and 2");
    assertEquals(TaskQueues.forHost("h2"), placed.taskQueue());
    assertEquals(NEW, placed.image());
    assertEquals("http://h2.test:6090", placed.proxyUrl());
  }

  @Test
  void sessionsPlacedMeanwhileCountAgainstTheirHostSoABurstSpreadsByCapacity() {
    List<HostRecord> hosts =
        List.of(host("h1", 8, 0, NEW), host("h2", 8, 4, NEW), host("h3", 8, 0, NEW));
    Map<String, Integer> pending = new HashMap<>();
    List<String> chosen = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String host =
          HostSelection.choose(
                  new PlacementRequest("burst-" + i, null, null), "terminal", hosts, pending, NOW)
              .hostId();
      pending.merge(host, 1, Integer::sum);
      chosen.add(host);
    }
    // 20 free slots, 12 sessions: h2 waits until the others are down to its 4 free, and every
    // host ends with 2 or 3 free.
    assertEquals(12, chosen.size());
    assertTrue(chosen.subList(0, 8).stream().noneMatch("h2"::equals), chosen.toString());
    List<Integer> free =
        List.of(8 - pending.get("h1"), 4 - pending.getOrDefault("h2", 0), 8 - pending.get("h3"));
    assertTrue(free.stream().allMatch(f -> f == 2 || f == 3), free + " " + chosen);
  }

  @Test
  void equalHostsAreOrderedPerSessionStablyAndSpreadOverSessions() {
    List<HostRecord> hosts =
        List.of(host("h1", 8, 0, NEW), host("h2", 8, 0, NEW), host("h3", 8, 0, NEW));
    Set<String> used = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      PlacementRequest request = new PlacementRequest("s" + i, null, null);
      Placement first = place(hosts, request);
      assertEquals(first, place(hosts, request), "one session always prefers one host");
      assertEquals(first, place(List.of(hosts.get(2), hosts.get(0), hosts.get(1)), request));
      used.add(first.hostId());
    }
    assertEquals(Set.of("h1", "h2", "h3"), used);
  }

  @Test
  void aHostWithAReadyPoolVmOfTheTemplateComesFirst() {
    List<HostRecord> hosts =
        List.of(
            host("h1", 8, 0, NEW),
            withPool(host("h2", 8, 6, NEW), "terminal", 1),
            host("h3", 8, 0, NEW));

    for (int i = 0; i < 10; i++) {
      assertEquals("h2", place(hosts, new PlacementRequest("s" + i, null, null)).hostId());
    }
    assertEquals(
        "h1",
        place(
                List.of(hosts.get(0), withPool(host("h2", 8, 6, NEW), "browser", 1)),
                new PlacementRequest("s", null, null))
            .hostId(),
        "a pool of another template does not count");
  }

  @Test
  void drainedStaleAvoidedAndFullHostsAreSkippedAndNoCapacityNamesEachReason() {
    List<HostRecord> hosts =
        List.of(
            drained(host("h1", 8, 0, NEW), "kernel update"),
            reportedAt(host("h2", 8, 0, NEW), NOW - 25_000),
            host("h3", 8, 8, NEW),
            host("h4", 8, 0, NEW),
            host("h5", 8, 0, BROWSER),
            HostRecord.first("h6"));

    ApplicationFailure failure =
        refused(hosts, new PlacementRequest("s-busy", null, null, List.of("h4")));

    assertEquals(FailureKind.NO_CAPACITY.type(), failure.getType());
    String message = failure.getOriginalMessage();
    for (String reason :
        List.of(
            "h1: drained (kernel update)",
            "h2: stale: last report 25 s ago",
            "h3: full: 8 of 8 VM slots taken",
            "h4: did not pick up this session's first step in time",
            "h5: no current image of template terminal",
            "h6: has not reported yet")) {
      assertTrue(message.contains(reason), reason + " in " + message);
    }
    assertTrue(message.contains("s-busy"), message);
    assertEquals(6, failure.getDetails().get(0, List.class).size());
    assertEquals("h4", place(hosts, new PlacementRequest("s-busy", null, null)).hostId());
  }

  @Test
  void aHostIsLiveForTwentySecondsAfterItsLastReport() {
    PlacementRequest request = new PlacementRequest("s", null, null);
    assertEquals(
        "h1", place(List.of(reportedAt(host("h1", 8, 0, NEW), NOW - 20_000)), request).hostId());
    assertEquals(
        FailureKind.NO_CAPACITY.type(),
        refused(List.of(reportedAt(host("h1", 8, 0, NEW), NOW - 20_001)), request).getType());
  }

  @Test
  void eachHostsOwnImageCountsAndAnImageNoHostHasIsUnknownImage() {
    List<HostRecord> hosts = List.of(host("h1", 8, 0, OLD), host("h2", 8, 0, NEW, BROWSER));

    assertEquals("h2", place(hosts, new PlacementRequest("s", NEW.imageId(), null)).hostId());
    assertEquals(OLD, place(hosts, new PlacementRequest("s", OLD.imageId(), "terminal")).image());
    assertEquals(BROWSER, place(hosts, new PlacementRequest("s", null, "browser")).image());
    assertEquals(
        BROWSER,
        place(hosts, new PlacementRequest("s", BROWSER.imageId(), null)).image(),
        "an image named by id alone runs whatever its template");

    ApplicationFailure otherTemplate =
        refused(hosts, new PlacementRequest("s", NEW.imageId(), "browser"));
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), otherTemplate.getType());
    assertTrue(
        otherTemplate.getOriginalMessage().contains("of template browser"),
        otherTemplate.getOriginalMessage());
    ApplicationFailure noTemplate = refused(hosts, new PlacementRequest("s", null, "desktop"));
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), noTemplate.getType());
    assertTrue(
        noTemplate.getOriginalMessage().contains("kindling image build --template desktop"),
        noTemplate.getOriginalMessage());
    assertEquals(
        FailureKind.UNKNOWN_IMAGE.type(),
        refused(List.of(), new PlacementRequest("s", null, null)).getType());
    assertTrue(
        refused(List.of(), new PlacementRequest("s", null, null))
            .getOriginalMessage()
            .contains("no host has registered"));
  }

  @Test
  void anImageOnlyADrainedHostHasIsNoCapacityNotUnknownImage() {
    ApplicationFailure failure =
        refused(
            List.of(drained(host("h1", 8, 0, BROWSER), "maintenance"), host("h2", 8, 0, NEW)),
            new PlacementRequest("s", null, "browser"));
    assertEquals(FailureKind.NO_CAPACITY.type(), failure.getType());
  }
}
