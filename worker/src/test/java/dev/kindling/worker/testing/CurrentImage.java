package dev.kindling.worker.testing;

import dev.kindling.activities.host.HostPaths;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.ImageStore;
import dev.kindling.snapshot.SnapshotMismatchException;
import dev.kindling.snapshot.UnknownImageException;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.workflows.TaskQueues;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.image.GoldenImageWorkflow;
import dev.kindling.workflows.image.ImageBuildRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The image end-to-end tests boot: the one this checkout builds, promoted with a valid memory
 * snapshot. Never a stale image an older build promoted (the seeds' first failure).
 */
public final class CurrentImage {
  private static final Logger log = LoggerFactory.getLogger(CurrentImage.class);

  private CurrentImage() {}

  /** The current image when it is this checkout's with a valid snapshot. */
  public static Optional<ImageRef> usable(HostPaths paths) {
    ImageStore store = new ImageStore(paths);
    String wanted = ImageBuilder.imageId(BuildOptions.defaults(paths));
    try {
      return store.current().filter(ref -> ref.imageId().equals(wanted) && ref.hasSnapshot()).map(ref -> {
        store.find(ref.imageId());
        store.checkSnapshot(ref.imageId(), ref.snapshotId());
        return ref;
      });
    } catch (UnknownImageException | SnapshotMismatchException e) {
      log.info("the current image is not usable for restores: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * {@link #usable} or, failing that, built, canary-verified, snapshotted and promoted through the
   * golden image workflow by a worker for {@code config}'s host.
   */
  public static ImageRef ensure(WorkflowClient client, KindlingConfig config) {
    Optional<ImageRef> current = usable(config.paths());
    if (current.isPresent()) {
      return current.get();
    }
    if (!config.get(Setting.KERNEL_ARGS).isBlank()) {
      // A canary booted with diagnostic kernel arguments fails by design: build under a plain configuration.
      throw new IllegalStateException("no usable current image: ensure it with a configuration without "
          + Setting.KERNEL_ARGS.key() + " first");
    }
    log.info("building this checkout's image in {} through the golden image workflow", config.paths().cacheDir());
    GoldenImageWorkflow golden = client.newWorkflowStub(GoldenImageWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(GoldenImageWorkflow.workflowId(config.hostId()))
            .setTaskQueue(TaskQueues.SHARED)
            .build());
    ImageRef image = golden.run(new ImageBuildRequest(config.hostId(), true, false)).image();
    if (!image.hasSnapshot()) {
      throw new IllegalStateException("the golden image workflow promoted " + image.imageId() + " without a snapshot");
    }
    return image;
  }

  /** {@link #ensure(WorkflowClient, KindlingConfig)} with {@code stack}'s client and worker. */
  public static ImageRef ensure(DevStack stack) {
    return ensure(stack.connection().client(), stack.config());
  }

  /** {@link #usable}, or built through an embedded stack on {@code config} that starts only when it must build. */
  public static ImageRef ensure(KindlingConfig config) throws Exception {
    Optional<ImageRef> current = usable(config.paths());
    if (current.isPresent()) {
      return current.get();
    }
    try (DevStack stack = DevStack.start(config)) {
      return ensure(stack);
    }
  }
}
