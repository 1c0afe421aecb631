package dev.kindling.activities.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementRequest;
import io.temporal.failure.ApplicationFailure;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlacementActivitiesImplTest {
  static final ImageRef OLD = new ImageRef("0".repeat(64), null, "6.12", 1, "terminal");
  static final ImageRef NEW = new ImageRef("1".repeat(64), "snap", "6.12", 2, "terminal");
  static final ImageRef BROWSER = new ImageRef("2".repeat(64), "snap-b", "6.12", 3, "browser");

  private final MapHostDirectory directory =
      new MapHostDirectory().with("h1", OLD).with("h2", NEW, OLD).with("h3");
  private final PlacementActivitiesImpl placement = new PlacementActivitiesImpl(directory);

  @Test
  void placesOnlyOnHostsThatHaveTheImageAndReturnsTheirQueue() {
    for (int i = 0; i < 20; i++) {
      Placement placed = placement.place(new PlacementRequest("s" + i, NEW.imageId(), null));
      assertEquals("h2", placed.hostId());
      assertEquals(TaskQueues.forHost("h2"), placed.taskQueue());
      assertEquals(NEW, placed.image());
    }
  }

  @Test
  void spreadsSessionsOverHostsAndPlacesOneSessionStably() {
    Set<String> used = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      Placement first = placement.place(new PlacementRequest("s" + i, OLD.imageId(), null));
      assertEquals(first, placement.place(new PlacementRequest("s" + i, OLD.imageId(), null)));
      used.add(first.hostId());
    }
    assertEquals(Set.of("h1", "h2"), used);
  }

  @Test
  void withoutAnImageIdTheHostsCurrentImageIsUsed() {
    Placement placed = placement.place(new PlacementRequest("s-current", null, null));
    assertEquals(placed.hostId().equals("h1") ? OLD : NEW, placed.image());
  }

  @Test
  void anImageNoHostHasIsUnknownImage() {
    ApplicationFailure failure =
        assertThrows(
            ApplicationFailure.class,
            () -> placement.place(new PlacementRequest("s", "9".repeat(64), null)));
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), failure.getType());
  }

  @Test
  void badIdsAreInvalidInput() {
    for (PlacementRequest bad :
        new PlacementRequest[] {
          new PlacementRequest("a b", null, null),
          new PlacementRequest("s", "../image", null),
          new PlacementRequest("s", null, "../browser"),
          new PlacementRequest("s", null, "Browser")
        }) {
      ApplicationFailure failure =
          assertThrows(ApplicationFailure.class, () -> placement.place(bad));
      assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    }
  }

  @Test
  void aRequestsTemplateSelectsThatTemplatesCurrentImage() {
    MapHostDirectory both = new MapHostDirectory().with("h1", NEW, BROWSER).with("h2", OLD);
    PlacementActivitiesImpl placing = new PlacementActivitiesImpl(both);

    for (int i = 0; i < 20; i++) {
      Placement browser = placing.place(new PlacementRequest("s" + i, null, "browser"));
      assertEquals("h1", browser.hostId(), "only h1 has a browser image");
      assertEquals(BROWSER, browser.image());
      Placement terminal = placing.place(new PlacementRequest("s" + i, null, "terminal"));
      assertEquals(terminal.hostId().equals("h1") ? NEW : OLD, terminal.image());
      assertEquals("terminal", terminal.image().template());
      assertEquals(
          terminal,
          placing.place(new PlacementRequest("s" + i, null, null)),
          "no template is the default template");
    }
  }

  @Test
  void anImageIdOfAnotherTemplateIsUnknownImage() {
    MapHostDirectory both = new MapHostDirectory().with("h1", NEW, BROWSER).with("h2", OLD);
    PlacementActivitiesImpl placing = new PlacementActivitiesImpl(both);

    ApplicationFailure failure =
        assertThrows(
            ApplicationFailure.class,
            () -> placing.place(new PlacementRequest("s", NEW.imageId(), "browser")));

    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), failure.getType());
    assertTrue(failure.getOriginalMessage().contains(NEW.imageId()), failure.getOriginalMessage());
    assertTrue(
        failure.getOriginalMessage().contains("template browser"), failure.getOriginalMessage());
    assertEquals(
        BROWSER,
        placing.place(new PlacementRequest("s", BROWSER.imageId(), "browser")).image(),
        "the template's own image is placed");
    assertEquals(
        BROWSER,
        placing.place(new PlacementRequest("s", BROWSER.imageId(), null)).image(),
        "an image named by id alone runs whatever its template");
  }

  @Test
  void aTemplateNoHostHasAnImageOfIsUnknownImage() {
    ApplicationFailure failure =
        assertThrows(
            ApplicationFailure.class,
            () -> placement.place(new PlacementRequest("s", null, "browser")));

    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), failure.getType());
    assertTrue(
        failure.getOriginalMessage().contains("template browser"), failure.getOriginalMessage());
    assertTrue(
        failure.getOriginalMessage().contains("--template browser"),
        "says how to build one: " + failure.getOriginalMessage());
  }
}
