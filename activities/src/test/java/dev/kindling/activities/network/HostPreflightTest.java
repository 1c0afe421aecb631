package dev.kindling.activities.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.testing.HostCapability;
import dev.kindling.host.testing.RequiresHost;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPreflightTest {
  @TempDir Path dir;

  @Test
  void aFailingReportNamesTheProblemAndTheFix() {
    PreflightReport report =
        new PreflightReport(
            List.of(
                PreflightCheck.pass("tun"),
                PreflightCheck.fail(
                    "qemu",
                    "qemu-system-x86_64 is not on PATH",
                    "apt-get install qemu-system-x86 qemu-utils")));
    assertFalse(report.passed());
    assertEquals(
        "qemu: qemu-system-x86_64 is not on PATH (fix: apt-get install qemu-system-x86 qemu-utils)",
        report.summary());
  }

  @Test
  void namesAMissingQemuAndAnUnwritableRunDirectory() {
    HostPaths paths = new HostPaths(dir, Path.of("/proc/kindling-cannot-write"));
    PreflightReport report =
        new HostPreflight(paths, VmmPrograms.qemu("kindling-no-such-qemu")).run();
    List<String> failed = report.failures().stream().map(PreflightCheck::name).toList();
    assertTrue(failed.contains("qemu"), report.summary());
    assertTrue(failed.contains("run-dir"), report.summary());
  }

  @Test
  @RequiresHost({
    HostCapability.ROOT,
    HostCapability.IPROUTE2,
    HostCapability.TUN,
    HostCapability.QEMU
  })
  void passesOnAHostThatCanRunVms() {
    PreflightReport report =
        new HostPreflight(
                new HostPaths(dir, dir.resolve("run")), VmmPrograms.qemu("qemu-system-x86_64"))
            .run();
    assertTrue(report.passed(), report.summary());
  }
}
