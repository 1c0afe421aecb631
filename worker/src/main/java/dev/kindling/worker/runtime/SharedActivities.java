package dev.kindling.worker.runtime;

import dev.kindling.activities.shared.HostLossActivitiesImpl;
import dev.kindling.activities.shared.HostRecords;
import dev.kindling.activities.shared.LivenessActivitiesImpl;
import dev.kindling.activities.shared.PlacementActivitiesImpl;
import dev.kindling.activities.shared.RetirementActivitiesImpl;
import dev.kindling.activities.shared.TemporalHostRecords;
import dev.kindling.workflows.client.KindlingClient;
import dev.kindling.workflows.pool.ClientPoolClaims;
import io.temporal.client.WorkflowClient;
import java.time.Clock;
import java.util.List;

/** The activities of the shared queue, built from {@code host}'s configuration. */
final class SharedActivities {
  private SharedActivities() {}

  static List<Object> create(WorkflowClient client, HostServices host) {
    HostRecords records = new TemporalHostRecords(new KindlingClient(client), Clock.systemUTC());
    return List.of(
        new PlacementActivitiesImpl(records, host.config().defaultTemplate(), Clock.systemUTC()),
        new LivenessActivitiesImpl(client, records),
        new RetirementActivitiesImpl(client),
        new ClientPoolClaims(client),
        new HostLossActivitiesImpl(client));
  }
}
