package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kindling.host.HostPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebootstrapAssemblerTest {
  @Test
  void readsWantedByFromTheInstallSectionOnly() {
    String unit =
        "[Unit]\nWantedBy=not-this.target\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target graphical.target\n";
    assertEquals(
        List.of("multi-user.target", "graphical.target"), DebootstrapAssembler.wantedBy(unit));
  }

  @Test
  void everyEnabledGuestUnitIsWantedBySomething() {
    for (String unit : GuestImageSpec.ENABLED_UNITS) {
      GuestFile file =
          GuestFiles.load().stream()
              .filter(f -> f.path().equals("etc/systemd/system/" + unit))
              .findFirst()
              .orElseThrow();
      assertEquals(
          List.of("multi-user.target"),
          DebootstrapAssembler.wantedBy(
              new String(file.content(), java.nio.charset.StandardCharsets.UTF_8)),
          unit);
    }
  }

  @Test
  void computesUsedBytesFromTheSuperblock() {
    String out =
        "Filesystem volume name:   kindling-root\nBlock count:              76800\nFree blocks:              20000\nBlock size:               4096\n";
    assertEquals((76800L - 20000L) * 4096L, DebootstrapAssembler.parseUsedBytes(out));
    assertThrows(
        IllegalStateException.class, () -> DebootstrapAssembler.parseUsedBytes("nothing here"));
  }

  private static final HostPaths PATHS =
      new HostPaths(Path.of("/nonexistent"), Path.of("/nonexistent/run"));

  private static BuildOptions options(List<String> packages, Template template) {
    return new BuildOptions(
        "bookworm", "http://mirror.example/debian", packages, List.of(), template, PATHS);
  }

  @Test
  void theBaseKeyIgnoresGuestFilesTemplatesAndPurgesButNotPackages() {
    BuildOptions options = options(GuestImageSpec.PACKAGES, Templates.builtIn("terminal"));
    BuildOptions masked = options.withExtraMaskedUnits(List.of("kindling-websockify.service"));
    assertEquals(
        DebootstrapAssembler.baseKey(options.recipe()),
        DebootstrapAssembler.baseKey(masked.recipe()));
    BuildOptions browser = options.withTemplate(Templates.builtIn("browser"));
    assertEquals(
        DebootstrapAssembler.baseKey(options.recipe()),
        DebootstrapAssembler.baseKey(browser.recipe()),
        "one debootstrap serves every template");
    ImageRecipe purgesMore =
        ImageRecipeTest.edit(
            options.recipe(), e -> e.purgedPackages = plus(e.purgedPackages, "perl-base"));
    assertEquals(
        DebootstrapAssembler.baseKey(options.recipe()), DebootstrapAssembler.baseKey(purgesMore));
    BuildOptions more = options(List.of("systemd"), Templates.builtIn("terminal"));
    assertNotEquals(
        DebootstrapAssembler.baseKey(options.recipe()),
        DebootstrapAssembler.baseKey(more.recipe()));
  }

  @Test
  void templatesWithEqualPackagesShareTheirLayer(@TempDir Path dir) throws Exception {
    Template terminal = Templates.builtIn("terminal");
    // Another template with the terminal's packages (in another order) but its own app and files.
    Files.writeString(dir.resolve("motd"), "hello\n");
    Files.writeString(
        dir.resolve(Templates.RECIPE),
        """
        {"id": "shell", "packages": ["fonts-dejavu-core", "xterm"],
         "files": [{"source": "motd", "target": "usr/local/share/shell/motd", "mode": "0644"}],
         "app": {"argv": ["xterm", "-e", "cat /usr/local/share/shell/motd; bash"], "window": {"title": "^shell$"}}}
        """);
    Template shell = Templates.fromDirectory(dir);
    ImageRecipe terminalRecipe = options(GuestImageSpec.PACKAGES, terminal).recipe();
    ImageRecipe shellRecipe = options(GuestImageSpec.PACKAGES, shell).recipe();

    assertNotEquals(terminalRecipe.imageId(), shellRecipe.imageId(), "different images");
    assertEquals(
        DebootstrapAssembler.templateKey(terminalRecipe),
        DebootstrapAssembler.templateKey(shellRecipe),
        "one installed layer");
  }

  @Test
  void theTemplateLayerChangesWithTemplatePackagesPurgesAndTheBase() {
    ImageRecipe terminal = options(GuestImageSpec.PACKAGES, Templates.builtIn("terminal")).recipe();
    ImageRecipe browser = options(GuestImageSpec.PACKAGES, Templates.builtIn("browser")).recipe();
    String key = DebootstrapAssembler.templateKey(terminal);

    assertNotEquals(key, DebootstrapAssembler.templateKey(browser), "chromium is not xterm");
    assertNotEquals(
        key,
        DebootstrapAssembler.templateKey(
            ImageRecipeTest.edit(
                terminal, e -> e.purgedPackages = plus(e.purgedPackages, "perl-base"))));
    assertNotEquals(
        key,
        DebootstrapAssembler.templateKey(
            ImageRecipeTest.edit(
                terminal, e -> e.gpuPackages = plus(e.gpuPackages, "libvulkan1"))));
    assertNotEquals(
        key,
        DebootstrapAssembler.templateKey(
            options(List.of("systemd"), Templates.builtIn("terminal")).recipe()),
        "a new base is a new layer");
    assertEquals(
        key,
        DebootstrapAssembler.templateKey(
            ImageRecipeTest.edit(
                terminal, e -> e.guestFiles = e.guestFiles.subList(1, e.guestFiles.size()))),
        "files are not in the layer");
    assertEquals(
        key,
        DebootstrapAssembler.templateKey(
            ImageRecipeTest.edit(
                terminal, e -> e.latePurgedPackages = plus(e.latePurgedPackages, "apt"))),
        "late purges happen after the layer");
    assertNotEquals(DebootstrapAssembler.baseKey(terminal), key, "the layers have distinct names");
  }

  private static List<String> plus(List<String> values, String extra) {
    List<String> copy = new java.util.ArrayList<>(values);
    copy.add(extra);
    return copy;
  }
}
