package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ImageRecipeTest {
  private static final HostPaths PATHS =
      new HostPaths(Path.of("/nonexistent/cache"), Path.of("/nonexistent/run"));
  private static final Template TERMINAL = Templates.builtIn("terminal");
  private static final BuildOptions OPTIONS =
      new BuildOptions(
          "bookworm",
          "http://mirror.example/debian",
          GuestImageSpec.PACKAGES,
          List.of(),
          TERMINAL,
          PATHS);

  @Test
  void sameInputsGiveTheSameId() {
    assertEquals(OPTIONS.recipe().imageId(), OPTIONS.recipe().imageId());
    assertTrue(OPTIONS.recipe().imageId().matches("[0-9a-f]{64}"));
  }

  @Test
  void theCachePathsAreNotAnInput() {
    BuildOptions elsewhere =
        OPTIONS.withPaths(new HostPaths(Path.of("/other/cache"), Path.of("/other/run")));
    assertEquals(OPTIONS.recipe().imageId(), elsewhere.recipe().imageId());
  }

  @Test
  void packageOrderDoesNotMatter() {
    List<String> reversed = new ArrayList<>(GuestImageSpec.PACKAGES).reversed();
    BuildOptions shuffled =
        new BuildOptions("bookworm", OPTIONS.mirror(), reversed, List.of(), TERMINAL, PATHS);
    assertEquals(OPTIONS.recipe().imageId(), shuffled.recipe().imageId());
  }

  @Test
  void everyInputChangesTheId() {
    ImageRecipe base = OPTIONS.recipe();
    List<UnaryOperator<ImageRecipe>> changes =
        List.of(
            r -> edit(r, e -> e.suite = "trixie"),
            r -> edit(r, e -> e.mirror = "http://other.example/debian"),
            r -> edit(r, e -> e.packages = plus(e.packages, "curl")),
            r -> edit(r, e -> e.template = "other"),
            r -> edit(r, e -> e.templatePackages = plus(e.templatePackages, "htop")),
            r -> edit(r, e -> e.templateDefaults = e.templateDefaults + " more"),
            r -> edit(r, e -> e.gpuPackages = plus(e.gpuPackages, "libvulkan1")),
            r -> edit(r, e -> e.purgedPackages = plus(e.purgedPackages, "perl-base")),
            r -> edit(r, e -> e.latePurgedPackages = plus(e.latePurgedPackages, "apt")),
            r -> edit(r, e -> e.units = e.units.subList(1, e.units.size())),
            r -> edit(r, e -> e.enabledUnits = e.enabledUnits.subList(1, e.enabledUnits.size())),
            r -> edit(r, e -> e.maskedUnits = plus(e.maskedUnits, "kindling-websockify.service")),
            r -> edit(r, e -> e.guestFiles = changedContent(e.guestFiles)),
            r -> edit(r, e -> e.guestFiles = changedMode(e.guestFiles)),
            r -> edit(r, e -> e.builderVersion = e.builderVersion + "x"),
            r -> edit(r, e -> e.kernelCmdline = e.kernelCmdline + " debug"));
    Set<String> ids = new HashSet<>();
    ids.add(base.imageId());
    assertEquals(base.imageId(), edit(base, e -> {}).imageId(), "a copy has the same id");
    for (UnaryOperator<ImageRecipe> change : changes) {
      String changed = change.apply(base).imageId();
      assertNotEquals(base.imageId(), changed);
      assertTrue(ids.add(changed), "each change gives a distinct id");
    }
  }

  @Test
  void theRecipeCarriesItsTemplateAndItsFiles() {
    ImageRecipe recipe = OPTIONS.recipe();
    assertEquals("terminal", recipe.template());
    assertEquals(TERMINAL.packages(), recipe.templatePackages());
    List<String> paths = recipe.guestFiles().stream().map(GuestFile::path).toList();
    assertTrue(
        paths.containsAll(GuestFiles.load().stream().map(GuestFile::path).toList()),
        "Kindling's own files");
    assertTrue(
        paths.containsAll(TERMINAL.guestFiles().stream().map(GuestFile::path).toList()),
        "and the template's");
    assertEquals(GuestFiles.load().size() + TERMINAL.guestFiles().size(), paths.size());
    assertTrue(recipe.canonical().contains("template=terminal\n"), recipe.canonical());
    assertTrue(
        recipe.canonical().contains("file=" + Template.APP_CONFIG + " 644 "), recipe.canonical());
  }

  @Test
  void eachBuiltInTemplateHasItsOwnImageId() {
    BuildOptions browser = OPTIONS.withTemplate(Templates.builtIn("browser"));
    assertNotEquals(OPTIONS.recipe().imageId(), browser.recipe().imageId());
    assertEquals(
        OPTIONS.recipe().imageId(),
        BuildOptions.defaults(PATHS).withMirror(OPTIONS.mirror()).recipe().imageId(),
        "the defaults are the built-in terminal");
  }

  @Test
  void extraMaskedUnitsChangeTheId() {
    assertNotEquals(
        OPTIONS.recipe().imageId(),
        OPTIONS.withExtraMaskedUnits(List.of("kindling-websockify.service")).recipe().imageId());
  }

  @Test
  void theGuestFilesInTheJarAreAllHashed() {
    List<GuestFile> files = GuestFiles.load();
    assertTrue(
        files.stream()
            .anyMatch(
                f -> f.path().equals("usr/local/lib/kindling/kindling-agent") && f.mode() == 0755));
    for (GuestFile file : files) {
      assertTrue(OPTIONS.recipe().canonical().contains("file=" + file.path() + " "), file.path());
    }
  }

  /** Every field of a recipe, to change one and build the recipe again. */
  static final class Edit {
    String suite;
    String mirror;
    List<String> packages;
    String template;
    List<String> templatePackages;
    String templateDefaults;
    List<String> gpuPackages;
    List<String> purgedPackages;
    List<String> latePurgedPackages;
    List<String> units;
    List<String> enabledUnits;
    List<String> maskedUnits;
    String kernelCmdline;
    List<GuestFile> guestFiles;
    String builderVersion;

    Edit(ImageRecipe r) {
      suite = r.suite();
      mirror = r.mirror();
      packages = r.packages();
      template = r.template();
      templatePackages = r.templatePackages();
      templateDefaults = r.templateDefaults();
      gpuPackages = r.gpuPackages();
      purgedPackages = r.purgedPackages();
      latePurgedPackages = r.latePurgedPackages();
      units = r.units();
      enabledUnits = r.enabledUnits();
      maskedUnits = r.maskedUnits();
      kernelCmdline = r.kernelCmdline();
      guestFiles = r.guestFiles();
      builderVersion = r.builderVersion();
    }

    ImageRecipe build() {
      return new ImageRecipe(
          suite,
          mirror,
          packages,
          template,
          templatePackages,
          templateDefaults,
          gpuPackages,
          purgedPackages,
          latePurgedPackages,
          units,
          enabledUnits,
          maskedUnits,
          kernelCmdline,
          guestFiles,
          builderVersion);
    }
  }

  static ImageRecipe edit(ImageRecipe recipe, java.util.function.Consumer<Edit> change) {
    Edit edit = new Edit(recipe);
    change.accept(edit);
    return edit.build();
  }

  private static List<String> plus(List<String> values, String extra) {
    List<String> copy = new ArrayList<>(values);
    copy.add(extra);
    return copy;
  }

  private static List<GuestFile> changedContent(List<GuestFile> files) {
    List<GuestFile> copy = new ArrayList<>(files);
    GuestFile first = copy.getFirst();
    copy.set(
        0,
        new GuestFile(
            first.path(),
            first.mode(),
            (new String(first.content(), StandardCharsets.UTF_8) + "\n")
                .getBytes(StandardCharsets.UTF_8)));
    return copy;
  }

  private static List<GuestFile> changedMode(List<GuestFile> files) {
    List<GuestFile> copy = new ArrayList<>(files);
    GuestFile first = copy.getFirst();
    copy.set(0, new GuestFile(first.path(), first.mode() ^ 0100, first.content()));
    return copy;
  }
}
