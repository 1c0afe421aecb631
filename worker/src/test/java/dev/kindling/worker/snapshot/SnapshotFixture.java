package dev.kindling.worker.snapshot;

import dev.kindling.activities.host.HostPaths;
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
import io.temporal.client.WorkflowOptions;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The current golden image with its memory snapshot from the real cache, made the way production
 * makes it (GoldenImageWorkflow: build or reuse, canary, snapshot, promote) when there is none yet.
 */
final class SnapshotFixture {
  private static final Logger log = LoggerFactory.getLogger(SnapshotFixture.class);

  private SnapshotFixture() {}

  /** A configuration for the embedded stack: the real image cache, {@code runDir} for VM files, free ports. */
  static KindlingConfig config(Path runDir) {
    return KindlingConfig.defaults()
        .with(Setting.RUN_DIR, runDir.toString())
        .with(Setting.TEMPORAL_TARGET, "localhost:0")
        .with(Setting.PROXY_PORT, "0");
  }

  /** The promoted image with a valid snapshot, running the golden image pipeline on {@code stack} if needed. */
  static ImageRef currentWithSnapshot(DevStack stack) {
    Optional<ImageRef> current = usable(stack.config().paths());
    if (current.isPresent()) {
      return current.get();
    }
    log.info("no current image with a snapshot in {}: running the golden image workflow", stack.config().paths().cacheDir());
    GoldenImageWorkflow golden = stack.connection().client().newWorkflowStub(GoldenImageWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(GoldenImageWorkflow.workflowId(stack.config().hostId()))
            .setTaskQueue(TaskQueues.SHARED)
            .build());
    ImageRef image = golden.run(new ImageBuildRequest(stack.config().hostId(), true, false)).image();
    if (!image.hasSnapshot()) {
      throw new IllegalStateException("the golden image workflow promoted " + image.imageId() + " without a snapshot");
    }
    return image;
  }

  /** Like {@link #currentWithSnapshot(DevStack)}, starting a stack on {@code runDir} only when it must build. */
  static ImageRef currentWithSnapshot(Path runDir) throws Exception {
    KindlingConfig config = config(runDir);
    Optional<ImageRef> current = usable(config.paths());
    if (current.isPresent()) {
      return current.get();
    }
    try (DevStack stack = DevStack.start(config)) {
      return currentWithSnapshot(stack);
    }
  }

  private static Optional<ImageRef> usable(HostPaths paths) {
    ImageStore store = new ImageStore(paths);
    try {
      return store.current().filter(ImageRef::hasSnapshot).map(ref -> {
        store.find(ref.imageId());
        store.checkSnapshot(ref.imageId(), ref.snapshotId());
        return ref;
      });
    } catch (UnknownImageException | SnapshotMismatchException e) {
      log.info("the current image is not usable for restores: {}", e.getMessage());
      return Optional.empty();
    }
  }
}
