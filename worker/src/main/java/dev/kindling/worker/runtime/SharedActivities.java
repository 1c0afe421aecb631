package dev.kindling.worker.runtime;

import dev.kindling.activities.shared.HostDirectory;
import dev.kindling.activities.shared.LivenessActivitiesImpl;
import dev.kindling.activities.shared.LocalHostDirectory;
import dev.kindling.activities.shared.PlacementActivitiesImpl;
import dev.kindling.activities.shared.RetirementActivitiesImpl;
import dev.kindling.host.images.ImageStore;
import dev.kindling.workflows.pool.ClientPoolClaims;
import io.temporal.client.WorkflowClient;
import java.util.List;

/** The activities of the shared queue, built from {@code host}'s configuration. */
final class SharedActivities {
  private SharedActivities() {}

  static List<Object> create(WorkflowClient client, HostServices host) {
    HostDirectory directory =
        new LocalHostDirectory(
            host.config().hosts(), new ImageStore(host.paths()), host.config().defaultTemplate());
    return List.of(
        new PlacementActivitiesImpl(directory),
        new LivenessActivitiesImpl(client, directory),
        new RetirementActivitiesImpl(client),
        new ClientPoolClaims(client));
  }
}
