package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kindling.activities.host.HostPaths;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebootstrapAssemblerTest {
  @Test
  void readsWantedByFromTheInstallSectionOnly() {
    String unit = "[Unit]\nWantedBy=not-this.target\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target graphical.target\n";
    assertEquals(List.of("multi-user.target", "graphical.target"), DebootstrapAssembler.wantedBy(unit));
  }

  @Test
  void everyEnabledGuestUnitIsWantedBySomething() {
    for (String unit : GuestImageSpec.ENABLED_UNITS) {
      GuestFile file = GuestFiles.load().stream().filter(f -> f.path().equals("etc/systemd/system/" + unit)).findFirst().orElseThrow();
      assertEquals(List.of("multi-user.target"), DebootstrapAssembler.wantedBy(new String(file.content(), java.nio.charset.StandardCharsets.UTF_8)), unit);
    }
  }

  @Test
  void computesUsedBytesFromTheSuperblock() {
    String out = "Filesystem volume name:   kindling-root\nBlock count:              76800\nFree blocks:              20000\nBlock size:               4096\n";
    assertEquals((76800L - 20000L) * 4096L, DebootstrapAssembler.parseUsedBytes(out));
    assertThrows(IllegalStateException.class, () -> DebootstrapAssembler.parseUsedBytes("nothing here"));
  }

  @Test
  void theBaseKeyIgnoresGuestFilesButNotPackages() {
    HostPaths paths = new HostPaths(Path.of("/nonexistent"), Path.of("/nonexistent/run"));
    BuildOptions options = new BuildOptions("bookworm", "http://mirror.example/debian", GuestImageSpec.PACKAGES, List.of(), paths);
    BuildOptions masked = options.withExtraMaskedUnits(List.of("kindling-websockify.service"));
    assertEquals(DebootstrapAssembler.baseKey(options.recipe()), DebootstrapAssembler.baseKey(masked.recipe()));
    BuildOptions more = new BuildOptions("bookworm", options.mirror(), List.of("systemd"), List.of(), paths);
    assertNotEquals(DebootstrapAssembler.baseKey(options.recipe()), DebootstrapAssembler.baseKey(more.recipe()));
  }
}
