package dev.kindling.worker.shared;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
  static final ImageRef OLD = new ImageRef("0".repeat(64), null, "6.12", 1);
  static final ImageRef NEW = new ImageRef("1".repeat(64), "snap", "6.12", 2);

  private final MapHostDirectory directory = new MapHostDirectory().with("h1", OLD).with("h2", NEW, OLD).with("h3");
  private final PlacementActivitiesImpl placement = new PlacementActivitiesImpl(directory);

  @Test
  void placesOnlyOnHostsThatHaveTheImageAndReturnsTheirQueue() {
    for (int i = 0; i < 20; i++) {
      Placement placed = placement.place(new PlacementRequest("s" + i, NEW.imageId()));
      assertEquals("h2", placed.hostId());
      assertEquals(TaskQueues.forHost("h2"), placed.taskQueue());
      assertEquals(NEW, placed.image());
    }
  }

  @Test
  void spreadsSessionsOverHostsAndPlacesOneSessionStably() {
    Set<String> used = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      Placement first = placement.place(new PlacementRequest("s" + i, OLD.imageId()));
      assertEquals(first, placement.place(new PlacementRequest("s" + i, OLD.imageId())));
      used.add(first.hostId());
    }
    assertEquals(Set.of("h1", "h2"), used);
  }

  @Test
  void withoutAnImageIdTheHostsCurrentImageIsUsed() {
    Placement placed = placement.place(new PlacementRequest("s-current", null));
    assertEquals(placed.hostId().equals("h1") ? OLD : NEW, placed.image());
  }

  @Test
  void anImageNoHostHasIsUnknownImage() {
    ApplicationFailure failure =
        assertThrows(ApplicationFailure.class, () -> placement.place(new PlacementRequest("s", "2".repeat(64))));
    assertEquals(FailureKind.UNKNOWN_IMAGE.type(), failure.getType());
  }

  @Test
  void badIdsAreInvalidInput() {
    for (PlacementRequest bad :
        new PlacementRequest[] {new PlacementRequest("a b", null), new PlacementRequest("s", "../image")}) {
      ApplicationFailure failure = assertThrows(ApplicationFailure.class, () -> placement.place(bad));
      assertEquals(FailureKind.INVALID_INPUT.type(), failure.getType());
    }
  }
}
