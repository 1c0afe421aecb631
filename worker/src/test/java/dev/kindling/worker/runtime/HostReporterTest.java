package dev.kindling.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.hosts.HostReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostReporterTest {
  @TempDir Path dir;

  private KindlingConfig config(Map<Setting, String> extra) {
    Map<Setting, String> flags = new java.util.EnumMap<>(Setting.class);
    flags.put(Setting.HOST_ID, "h7");
    flags.put(Setting.RUN_DIR, dir.resolve("run").toString());
    flags.put(Setting.CACHE_DIR, dir.resolve("cache").toString());
    flags.putAll(extra);
    return KindlingConfig.load(null, Map.of(), flags);
  }

  @Test
  void aReportNamesTheHostItsCapacityAndThatNothingRunsYet() throws Exception {
    KindlingConfig config = config(Map.of());
    Files.createDirectories(config.paths().vmDir("vm0123456789")); // a directory, no VMM

    HostReport report = new HostReporter(null, config, config.paths()).report();

    assertEquals("h7", report.hostId());
    assertEquals(Runtime.getRuntime().availableProcessors(), report.capacity().vcpus());
    assertEquals(HostReporter.memoryMib(), report.capacity().memoryMib());
    assertTrue(report.capacity().memoryMib() > 0);
    assertEquals(
        Math.max(1, report.capacity().memoryMib() / HostReporter.MIB_PER_SLOT),
        report.capacity().vmSlots(),
        "unset slots: memory / 512 MiB");
    assertEquals(0, report.runningVms(), "a VM directory without a VMM is not a running VM");
    assertEquals(Map.of(), report.images(), "an empty cache has no current image");
  }

  @Test
  void theSlotSettingIsReportedAsItIs() {
    KindlingConfig config = config(Map.of(Setting.HOST_VM_SLOTS, "3"));

    assertEquals(3, new HostReporter(null, config, config.paths()).report().capacity().vmSlots());
  }
}
