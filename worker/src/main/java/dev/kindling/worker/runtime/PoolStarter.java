package dev.kindling.worker.runtime;

import dev.kindling.snapshot.Template;
import dev.kindling.snapshot.Templates;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.pool.PoolPolicy;
import dev.kindling.workflows.pool.PoolRequest;
import dev.kindling.workflows.pool.PoolWorkflow;
import io.temporal.client.BatchRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each template's pool on this host the policy its recipe and this host's settings make: a
 * pool with a target is started (or told its policy, when it runs), one without is told to drain.
 */
final class PoolStarter {
  private static final Logger log = LoggerFactory.getLogger(PoolStarter.class);

  private PoolStarter() {}

  /** The templates whose pools were started or updated with a target. */
  static Set<String> apply(WorkflowClient client, KindlingConfig config) {
    Map<String, Integer> targets = config.poolTargets();
    Set<String> templates = new TreeSet<>(Templates.ids(config.templatesDir()));
    templates.addAll(targets.keySet());
    Set<String> pooled = new TreeSet<>();
    for (String id : templates) {
      Template template;
      try {
        template = Templates.byId(id, config.templatesDir());
      } catch (RuntimeException e) {
        log.warn("no pool of template {}: {}", id, e.getMessage());
        continue;
      }
      PoolPolicy policy = template.poolPolicy();
      if (targets.containsKey(id)) {
        policy = policy.withTarget(targets.get(id));
      }
      String workflowId = PoolWorkflow.workflowId(config.hostId(), id);
      if (policy.target() > 0) {
        start(client, workflowId, config.hostId(), template, policy);
        pooled.add(id);
      } else {
        drain(client, workflowId, policy);
      }
    }
    return pooled;
  }

  private static void start(
      WorkflowClient client,
      String workflowId,
      String hostId,
      Template template,
      PoolPolicy policy) {
    PoolWorkflow pool =
        client.newWorkflowStub(
            PoolWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowId)
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    BatchRequest request = client.newSignalWithStartRequest();
    request.add(pool::run, PoolRequest.start(hostId, template.id(), policy, template.memoryMib()));
    request.add(pool::policy, policy, template.memoryMib());
    client.signalWithStart(request);
    log.info("pool {}: {} ready VM(s) of {}", workflowId, policy.target(), template.id());
  }

  /** A pool that runs from an earlier start with a target destroys its VMs. */
  private static void drain(WorkflowClient client, String workflowId, PoolPolicy policy) {
    try {
      client.newWorkflowStub(PoolWorkflow.class, workflowId).policy(policy, 0);
      log.info("pool {}: draining (target 0)", workflowId);
    } catch (WorkflowNotFoundException e) {
      // None runs.
    }
  }
}
