package dev.kindling.activities.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.FakeAssembler;
import dev.kindling.snapshot.GuestImageSpec;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Templates;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.image.ImageBuildRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image activities pick a template by id (the host's default when none) and fail typed; the
 * build itself is faked.
 */
class ImageActivitiesImplTest {
  @TempDir Path cache;
  @TempDir Path templatesDir;
  private HostPaths paths;
  private ImageActivitiesImpl activities;

  @BeforeEach
  void setUp() {
    paths = new HostPaths(cache, cache.resolve("run"));
    activities =
        new ImageActivitiesImpl(
            new ImageBuilder(new FakeAssembler()),
            new ImageStore(paths),
            template ->
                new BuildOptions(
                    "bookworm",
                    "http://mirror.example/debian",
                    GuestImageSpec.PACKAGES,
                    List.of(),
                    template,
                    paths),
            templatesDir,
            "terminal");
  }

  @Test
  void aRequestWithoutTemplateBuildsTheHostsDefaultAndOneWithATemplateBuildsThatOne() {
    ImageRef terminal = activities.buildImage(new ImageBuildRequest("h1", true, false, null));
    ImageRef browser = activities.buildImage(new ImageBuildRequest("h1", true, false, "browser"));

    assertEquals("terminal", terminal.template());
    assertEquals("browser", browser.template());
    assertEquals("browser", new ImageStore(paths).find(browser.imageId()).manifest().template());
  }

  @Test
  void aTemplateInTheHostsTemplatesDirectoryIsBuiltById() throws Exception {
    Path dir = Files.createDirectories(templatesDir.resolve("notes"));
    Files.writeString(
        dir.resolve(Templates.RECIPE),
        """
        {"id": "notes", "app": {"argv": ["xterm"], "window": {"wmClass": "XTerm"}}}
        """);

    assertEquals(
        "notes",
        activities.buildImage(new ImageBuildRequest("h1", true, false, "notes")).template());
  }

  @Test
  void badTemplatesFailTyped() throws Exception {
    ApplicationFailure notAnId =
        assertThrows(
            ApplicationFailure.class,
            () -> activities.buildImage(new ImageBuildRequest("h1", true, false, "../../etc")));
    assertEquals(FailureKind.INVALID_INPUT.type(), notAnId.getType());

    ApplicationFailure unknown =
        assertThrows(
            ApplicationFailure.class,
            () -> activities.buildImage(new ImageBuildRequest("h1", true, false, "kiosk")));
    assertEquals(FailureKind.INVALID_TEMPLATE.type(), unknown.getType());
    assertTrue(unknown.isNonRetryable());

    Path dir = Files.createDirectories(templatesDir.resolve("broken"));
    Files.writeString(
        dir.resolve(Templates.RECIPE),
        """
        {"id": "broken", "app": {"argv": [], "window": {"wmClass": "XTerm"}}}
        """);
    ApplicationFailure invalid =
        assertThrows(
            ApplicationFailure.class,
            () -> activities.buildImage(new ImageBuildRequest("h1", true, false, "broken")));
    assertEquals(FailureKind.INVALID_TEMPLATE.type(), invalid.getType());
    assertTrue(invalid.getOriginalMessage().contains("app.argv"), invalid.getOriginalMessage());
  }

  @Test
  void resolvingWithoutAnIdGivesTheTemplatesCurrentImage() {
    ImageRef terminal = activities.buildImage(new ImageBuildRequest("h1", false, false, null));
    ImageRef browser = activities.buildImage(new ImageBuildRequest("h1", false, false, "browser"));
    activities.promote(terminal);
    activities.promote(browser);

    assertEquals(
        terminal.imageId(),
        activities.resolveImage(null, null).imageId(),
        "the host's default template");
    assertEquals(terminal.imageId(), activities.resolveImage(null, "terminal").imageId());
    assertEquals(browser.imageId(), activities.resolveImage(null, "browser").imageId());
    assertEquals(
        browser.imageId(),
        activities.resolveImage(browser.imageId(), "terminal").imageId(),
        "an id is resolved as it is");
    assertEquals(
        FailureKind.UNKNOWN_IMAGE.type(),
        assertThrows(ApplicationFailure.class, () -> activities.resolveImage(null, "kiosk"))
            .getType());
    assertEquals(
        FailureKind.INVALID_INPUT.type(),
        assertThrows(ApplicationFailure.class, () -> activities.resolveImage(null, "Bad Template"))
            .getType());
  }

  @Test
  void theDefaultTemplateMustBeAnId() {
    assertThrows(
        dev.kindling.workflows.InvalidInputException.class,
        () -> new ImageActivitiesImpl(paths, templatesDir, "../x", ""));
  }
}
