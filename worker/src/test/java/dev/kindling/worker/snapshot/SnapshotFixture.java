package dev.kindling.worker.snapshot;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import java.nio.file.Path;

/**
 * The embedded stack's configuration for the snapshot VM tests (their image comes from {@link
 * dev.kindling.worker.testing.CurrentImage}).
 */
final class SnapshotFixture {
  private SnapshotFixture() {}

  /**
   * A configuration for the embedded stack: the real image cache, {@code runDir} for VM files, free
   * ports.
   */
  static KindlingConfig config(Path runDir) {
    return KindlingConfig.defaults()
        .with(Setting.RUN_DIR, runDir.toString())
        .with(Setting.TEMPORAL_TARGET, "localhost:0")
        .with(Setting.WORKER_METRICS_PORT, "0")
        .with(Setting.PROXY_PORT, "0");
  }
}
