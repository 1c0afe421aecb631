package dev.kindling.activities.shared;

import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.host.Placement;
import dev.kindling.workflows.host.PlacementActivities;
import dev.kindling.workflows.host.PlacementRequest;
import java.util.List;
import java.util.Optional;

/**
 * Places a session on a host that has the image. Among those, the session id picks one stably, so a
 * retried placement lands on the same host.
 */
public final class PlacementActivitiesImpl implements PlacementActivities {
  private final HostDirectory directory;

  public PlacementActivitiesImpl(HostDirectory directory) {
    this.directory = directory;
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
        });
    List<String> hosts = directory.hosts();
    int start = Math.floorMod(request.sessionId().hashCode(), Math.max(1, hosts.size()));
    for (int i = 0; i < hosts.size(); i++) {
      String hostId = hosts.get((start + i) % hosts.size());
      Optional<ImageRef> image = directory.image(hostId, request.imageId(), request.template());
      // An image named by id must still be of the template the session asked for.
      if (image.isPresent()
          && (request.template() == null || request.template().equals(image.get().template()))) {
        return new Placement(hostId, TaskQueues.forHost(hostId), image.get());
      }
    }
    String template =
        request.template() == null ? "the default template" : "template " + request.template();
    throw FailureKind.UNKNOWN_IMAGE.failure(
        request.imageId() == null
            ? "no host has a current image of "
                + template
                + ": build and promote one (kindling image build"
                + (request.template() == null ? "" : " --template " + request.template())
                + ")"
            : "no host has image "
                + request.imageId()
                + (request.template() == null ? "" : " of template " + request.template()));
  }
}
