package dev.kindling.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.vmm.FirecrackerVmm;
import dev.kindling.activities.vmm.QemuVmm;
import dev.kindling.worker.config.KindlingConfig;
import dev.kindling.worker.config.Setting;
import dev.kindling.workflows.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostServicesTest {
  @TempDir Path dir;

  private KindlingConfig config(Map<Setting, String> settings) {
    Map<Setting, String> flags = new java.util.EnumMap<>(Setting.class);
    flags.putAll(settings);
    flags.put(Setting.RUN_DIR, dir.resolve("run").toString());
    flags.put(Setting.CACHE_DIR, dir.resolve("cache").toString());
    return KindlingConfig.load(null, Map.of(), flags);
  }

  @Test
  void firecrackerIsTheDriverWhenConfiguredAndItsBinaryIsFound() throws Exception {
    Path standIn = dir.resolve("firecracker");
    Files.writeString(standIn, "#!/bin/sh\nexit 0\n");
    Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));

    HostServices host =
        HostServices.create(
            config(Map.of(Setting.VMM, "firecracker", Setting.FIRECRACKER, standIn.toString())));

    assertInstanceOf(FirecrackerVmm.class, host.vmm());
    assertEquals("firecracker", host.vmm().name());
  }

  @Test
  void withoutItsBinaryFirecrackerIsRefusedNamingTheSetting() {
    InvalidInputException refused =
        assertThrows(
            InvalidInputException.class,
            () ->
                HostServices.create(
                    config(
                        Map.of(
                            Setting.VMM,
                            "firecracker",
                            Setting.FIRECRACKER,
                            dir.resolve("no-such-firecracker").toString()))));

    assertEquals("vmm.firecracker", refused.field());
    assertTrue(refused.getMessage().contains("no-such-firecracker"), refused.getMessage());
    assertEquals(
        "firecracker",
        HostServices.vmmPrograms(config(Map.of(Setting.VMM, "firecracker"))).check(),
        "preflight checks the Firecracker binary");
  }

  @Test
  void qemuStaysTheDefault() {
    assertInstanceOf(QemuVmm.class, HostServices.create(config(Map.of())).vmm());
  }
}
