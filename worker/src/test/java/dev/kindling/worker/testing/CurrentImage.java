package dev.kindling.worker.testing;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.host.images.SnapshotMismatchException;
import dev.kindling.host.images.UnknownImageException;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Template;
import dev.kindling.snapshot.Templates;
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

  /** The default template's current image when it is this checkout's with a valid snapshot. */
  public static Optional<ImageRef> usable(HostPaths paths) {
    return usable(paths, Templates.builtIn(Templates.DEFAULT));
  }

  /** {@code template}'s current image when it is this checkout's with a valid snapshot. */
  public static Optional<ImageRef> usable(HostPaths paths, Template template) {
    ImageStore store = new ImageStore(paths);
    String wanted = ImageBuilder.imageId(BuildOptions.forTemplate(template, paths));
    try {
      return store
          .current(template.id())
          .filter(ref -> ref.imageId().equals(wanted) && ref.hasSnapshot())
          .map(
              ref -> {
                store.find(ref.imageId());
                store.checkSnapshot(ref.imageId(), ref.snapshotId());
                return ref;
              });
    } catch (UnknownImageException | SnapshotMismatchException e) {
      log.info(
          "the current image of template {} is not usable for restores: {}",
          template.id(),
          e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * {@link #usable} or, failing that, built, canary-verified, snapshotted and promoted through the
   * golden image workflow by a worker for {@code config}'s host: the default template's image.
   */
  public static ImageRef ensure(WorkflowClient client, KindlingConfig config) {
    return ensure(client, config, null);
  }

  /**
   * Like {@link #ensure(WorkflowClient, KindlingConfig)} for {@code template} (an id, resolved as
   * the host resolves it: under {@code config}'s templates directory, else built in); null is the
   * host's default template. The build runs under the workflow id of the resolved template, the one
   * {@code kindling demo} uses, so two builds of one template never run at once.
   */
  public static ImageRef ensure(WorkflowClient client, KindlingConfig config, String template) {
    Template resolved =
        Templates.byId(
            template == null ? config.defaultTemplate() : template, config.templatesDir());
    Optional<ImageRef> current = usable(config.paths(), resolved);
    if (current.isPresent()) {
      return current.get();
    }
    if (!config.get(Setting.KERNEL_ARGS).isBlank()) {
      // A canary booted with diagnostic kernel arguments fails by design: build under a plain
      // configuration.
      throw new IllegalStateException(
          "no usable current image: ensure it with a configuration without "
              + Setting.KERNEL_ARGS.key()
              + " first");
    }
    log.info(
        "building this checkout's image of template {} in {} through the golden image workflow",
        resolved.id(),
        config.paths().cacheDir());
    GoldenImageWorkflow golden =
        client.newWorkflowStub(
            GoldenImageWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(GoldenImageWorkflow.workflowId(config.hostId(), resolved.id()))
                .setTaskQueue(TaskQueues.SHARED)
                .build());
    ImageRef image =
        golden.run(new ImageBuildRequest(config.hostId(), true, false, resolved.id())).image();
    if (!image.hasSnapshot()) {
      throw new IllegalStateException(
          "the golden image workflow promoted " + image.imageId() + " without a snapshot");
    }
    return image;
  }

  /** {@link #ensure(WorkflowClient, KindlingConfig)} with {@code stack}'s client and worker. */
  public static ImageRef ensure(DevStack stack) {
    return ensure(stack, null);
  }

  /**
   * {@link #ensure(WorkflowClient, KindlingConfig, String)} with {@code stack}'s client and worker.
   */
  public static ImageRef ensure(DevStack stack, String template) {
    return ensure(stack.connection().client(), stack.config(), template);
  }

  /**
   * {@link #usable}, or built through an embedded stack on {@code config} that starts only when it
   * must build.
   */
  public static ImageRef ensure(KindlingConfig config) throws Exception {
    Optional<ImageRef> current =
        usable(config.paths(), Templates.byId(config.defaultTemplate(), config.templatesDir()));
    if (current.isPresent()) {
      return current.get();
    }
    try (DevStack stack = DevStack.start(config)) {
      return ensure(stack);
    }
  }
}
