package dev.kindling.worker.snapshot;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.worker.dev.DevStack;
import dev.kindling.worker.testing.CurrentImage;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.image.GoldenImageWorkflow;
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
    return CurrentImage.ensure(stack.connection().client(), stack.config());
  }

  /** Like {@link #currentWithSnapshot(DevStack)}, starting a stack on {@code runDir} only when it must build. */
  static ImageRef currentWithSnapshot(Path runDir) throws Exception {
    KindlingConfig config = config(runDir);
    Optional<ImageRef> current = CurrentImage.usable(config.paths());
    if (current.isPresent()) {
      return current.get();
    }
    try (DevStack stack = DevStack.start(config)) {
      return currentWithSnapshot(stack);
    }
  }

}
