package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.activities.host.HostPaths;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ImageRecipeTest {
  private static final HostPaths PATHS = new HostPaths(Path.of("/nonexistent/cache"), Path.of("/nonexistent/run"));
  private static final BuildOptions OPTIONS =
      new BuildOptions("bookworm", "http://mirror.example/debian", GuestImageSpec.PACKAGES, List.of(), PATHS);

  @Test
  void sameInputsGiveTheSameId() {
    assertEquals(OPTIONS.recipe().imageId(), OPTIONS.recipe().imageId());
    assertTrue(OPTIONS.recipe().imageId().matches("[0-9a-f]{64}"));
  }

  @Test
  void theCachePathsAreNotAnInput() {
    BuildOptions elsewhere = OPTIONS.withPaths(new HostPaths(Path.of("/other/cache"), Path.of("/other/run")));
    assertEquals(OPTIONS.recipe().imageId(), elsewhere.recipe().imageId());
  }

  @Test
  void packageOrderDoesNotMatter() {
    List<String> reversed = new ArrayList<>(GuestImageSpec.PACKAGES).reversed();
    BuildOptions shuffled = new BuildOptions("bookworm", OPTIONS.mirror(), reversed, List.of(), PATHS);
    assertEquals(OPTIONS.recipe().imageId(), shuffled.recipe().imageId());
  }

  @Test
  void everyInputChangesTheId() {
    ImageRecipe base = OPTIONS.recipe();
    List<UnaryOperator<ImageRecipe>> changes = List.of(
        r -> with(r, "trixie", r.mirror(), r.packages(), r.maskedUnits(), r.guestFiles(), r.builderVersion(), r.kernelCmdline()),
        r -> with(r, r.suite(), "http://other.example/debian", r.packages(), r.maskedUnits(), r.guestFiles(), r.builderVersion(), r.kernelCmdline()),
        r -> with(r, r.suite(), r.mirror(), plus(r.packages(), "curl"), r.maskedUnits(), r.guestFiles(), r.builderVersion(), r.kernelCmdline()),
        r -> with(r, r.suite(), r.mirror(), r.packages(), plus(r.maskedUnits(), "kindling-websockify.service"), r.guestFiles(), r.builderVersion(), r.kernelCmdline()),
        r -> with(r, r.suite(), r.mirror(), r.packages(), r.maskedUnits(), changedContent(r.guestFiles()), r.builderVersion(), r.kernelCmdline()),
        r -> with(r, r.suite(), r.mirror(), r.packages(), r.maskedUnits(), changedMode(r.guestFiles()), r.builderVersion(), r.kernelCmdline()),
        r -> with(r, r.suite(), r.mirror(), r.packages(), r.maskedUnits(), r.guestFiles(), r.builderVersion() + "x", r.kernelCmdline()),
        r -> with(r, r.suite(), r.mirror(), r.packages(), r.maskedUnits(), r.guestFiles(), r.builderVersion(), r.kernelCmdline() + " debug"),
        r -> new ImageRecipe(r.suite(), r.mirror(), r.packages(), plus(r.purgedPackages(), "perl-base"), r.latePurgedPackages(), r.units(),
            r.enabledUnits(), r.maskedUnits(), r.kernelCmdline(), r.guestFiles(), r.builderVersion()),
        r -> new ImageRecipe(r.suite(), r.mirror(), r.packages(), r.purgedPackages(), r.latePurgedPackages(), r.units().subList(1, r.units().size()),
            r.enabledUnits(), r.maskedUnits(), r.kernelCmdline(), r.guestFiles(), r.builderVersion()));
    Set<String> ids = new HashSet<>();
    ids.add(base.imageId());
    for (UnaryOperator<ImageRecipe> change : changes) {
      String changed = change.apply(base).imageId();
      assertNotEquals(base.imageId(), changed);
      assertTrue(ids.add(changed), "each change gives a distinct id");
    }
  }

  @Test
  void extraMaskedUnitsChangeTheId() {
    assertNotEquals(OPTIONS.recipe().imageId(),
        OPTIONS.withExtraMaskedUnits(List.of("kindling-websockify.service")).recipe().imageId());
  }

  @Test
  void theGuestFilesInTheJarAreAllHashed() {
    List<GuestFile> files = GuestFiles.load();
    assertTrue(files.stream().anyMatch(f -> f.path().equals("usr/local/lib/kindling/kindling-agent") && f.mode() == 0755));
    for (GuestFile file : files) {
      assertTrue(OPTIONS.recipe().canonical().contains("file=" + file.path() + " "), file.path());
    }
  }

  private static ImageRecipe with(ImageRecipe r, String suite, String mirror, List<String> packages, List<String> masked,
      List<GuestFile> files, String version, String cmdline) {
    return new ImageRecipe(suite, mirror, packages, r.purgedPackages(), r.latePurgedPackages(), r.units(), r.enabledUnits(), masked, cmdline, files, version);
  }

  private static List<String> plus(List<String> values, String extra) {
    List<String> copy = new ArrayList<>(values);
    copy.add(extra);
    return copy;
  }

  private static List<GuestFile> changedContent(List<GuestFile> files) {
    List<GuestFile> copy = new ArrayList<>(files);
    GuestFile first = copy.getFirst();
    copy.set(0, new GuestFile(first.path(), first.mode(), (new String(first.content(), StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8)));
    return copy;
  }

  private static List<GuestFile> changedMode(List<GuestFile> files) {
    List<GuestFile> copy = new ArrayList<>(files);
    GuestFile first = copy.getFirst();
    copy.set(0, new GuestFile(first.path(), first.mode() ^ 0100, first.content()));
    return copy;
  }
}
