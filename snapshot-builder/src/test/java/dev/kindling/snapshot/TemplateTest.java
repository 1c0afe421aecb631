package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.HostPaths;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Template recipes: the built-ins, every check of a recipe, and what a template adds to the image
 * id. No VM, no network.
 */
class TemplateTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HostPaths PATHS =
      new HostPaths(Path.of("/nonexistent/cache"), Path.of("/nonexistent/run"));

  /** A valid recipe with one file, {@code notes.txt}, which {@link #write} puts beside it. */
  private static final String VALID =
      """
      {
        "id": "notes",
        "description": "A text editor on a notes file.",
        "packages": ["xterm", "fonts-dejavu-core"],
        "files": [{"source": "notes.txt", "target": "home/kindling/notes.txt", "mode": "0644"}],
        "app": {
          "argv": ["xterm", "-e", "nano", "/home/kindling/notes.txt"],
          "environment": {"EDITOR": "nano"},
          "onExit": "restart",
          "window": {"wmClass": "^XTerm$", "title": "notes"}
        },
        "defaults": {"memoryMib": 768, "vcpus": 2, "screen": {"width": 1024, "height": 768}}
      }
      """;

  /** Writes {@code recipe} and a {@code notes.txt} into {@code dir}; returns {@code dir}. */
  private static Path write(Path dir, String recipe) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(Templates.RECIPE), recipe);
    Files.writeString(dir.resolve("notes.txt"), "remember the milk\n");
    return dir;
  }

  private static InvalidTemplateException refused(Path dir, String recipe) throws IOException {
    write(dir, recipe);
    return assertThrows(InvalidTemplateException.class, () -> Templates.fromDirectory(dir));
  }

  private static JsonNode appConfig(Template template) throws IOException {
    GuestFile file =
        template.guestFiles().stream()
            .filter(f -> f.path().equals(Template.APP_CONFIG))
            .findFirst()
            .orElseThrow();
    return JSON.readTree(file.content());
  }

  private static String text(Template template, String path) {
    GuestFile file =
        template.guestFiles().stream().filter(f -> f.path().equals(path)).findFirst().orElseThrow();
    return new String(file.content(), StandardCharsets.UTF_8);
  }

  private static String imageId(Template template) {
    return BuildOptions.forTemplate(template, PATHS).recipe().imageId();
  }

  @ParameterizedTest
  @ValueSource(strings = {"terminal", "browser"})
  void theBuiltInTemplatesLoadAndValidate(String id) throws IOException {
    Template template = Templates.builtIn(id);

    assertEquals(id, template.id());
    assertFalse(template.description().isBlank());
    assertFalse(template.packages().isEmpty());
    assertEquals(template.packages().stream().distinct().toList(), template.packages());
    List<String> paths = template.guestFiles().stream().map(GuestFile::path).toList();
    assertTrue(
        paths.containsAll(
            List.of(Template.APP_CONFIG, Template.APP_RESTART_DROP_IN, Template.SCREEN_ENV)),
        paths.toString());
    JsonNode app = appConfig(template);
    assertEquals(id, app.path("template").asText());
    assertTrue(app.path("argv").size() > 0, app.toString());
    assertFalse(app.path("window").path("wmClass").isNull(), app.toString());
    assertEquals(Template.URL_ENV, app.path("launch").path("urlEnv").asText());
    assertEquals("restart", app.path("onExit").asText());
    assertTrue(text(template, Template.APP_RESTART_DROP_IN).contains("Restart=always"));
    assertEquals("KINDLING_SCREEN=1280x800x24\n", text(template, Template.SCREEN_ENV));
    // Its image can be made: the recipe builds, and none of its files is one of Kindling's own.
    assertTrue(imageId(template).matches("[0-9a-f]{64}"));
  }

  @Test
  void theBuiltInsNameTheirAppsAndSizes() throws IOException {
    Template terminal = Templates.builtIn("terminal");
    Template browser = Templates.builtIn("browser");

    assertEquals("xterm", appConfig(terminal).path("argv").get(0).asText());
    assertEquals("chromium", appConfig(browser).path("argv").get(0).asText());
    assertTrue(terminal.packages().contains("xterm"));
    assertTrue(browser.packages().contains("chromium"));
    assertEquals(512, terminal.memoryMib());
    assertEquals(1024, browser.memoryMib());
    assertEquals(List.of(2, 2), List.of(terminal.vcpus(), browser.vcpus()));
    assertTrue(
        terminal.guestFiles().stream()
            .anyMatch(f -> f.path().equals("home/kindling/.bash_profile")));
    assertTrue(
        browser.guestFiles().stream()
            .anyMatch(f -> f.path().equals("usr/local/share/kindling/start/index.html")));
    assertNotEquals(imageId(terminal), imageId(browser));
  }

  @Test
  void theDefaultTemplateIsTheBuiltInTerminal() {
    assertEquals("terminal", Templates.DEFAULT);
    assertEquals("terminal", Templates.resolve(null, null).id());
    assertEquals(
        imageId(Templates.builtIn("terminal")), BuildOptions.defaults(PATHS).recipe().imageId());
  }

  @Test
  void aValidDirectoryTemplateIsReadWithItsFilesAndDefaults(@TempDir Path dir) throws IOException {
    Template template = Templates.fromDirectory(write(dir, VALID));

    assertEquals("notes", template.id());
    assertEquals(List.of("xterm", "fonts-dejavu-core"), template.packages());
    GuestFile notes =
        template.guestFiles().stream()
            .filter(f -> f.path().equals("home/kindling/notes.txt"))
            .findFirst()
            .orElseThrow();
    assertEquals(0644, notes.mode());
    assertEquals("remember the milk\n", new String(notes.content(), StandardCharsets.UTF_8));
    assertEquals(768, template.memoryMib());
    assertEquals(2, template.vcpus());
    assertEquals(1024, template.screenWidth());
    assertEquals(768, template.screenHeight());
    assertEquals("KINDLING_SCREEN=1024x768x24\n", text(template, Template.SCREEN_ENV));
    JsonNode app = appConfig(template);
    assertEquals(
        List.of("xterm", "-e", "nano", "/home/kindling/notes.txt"),
        JSON.convertValue(
            app.path("argv"),
            new com.fasterxml.jackson.core.type.TypeReference<List<String>>() {}));
    assertEquals("nano", app.path("environment").path("EDITOR").asText());
    assertEquals(Template.HOME, app.path("workingDirectory").asText());
    assertEquals("notes", app.path("window").path("title").asText());
  }

  @Test
  void leftOutDefaultsAreKindlingsDefaults(@TempDir Path dir) throws IOException {
    Template template =
        Templates.fromDirectory(
            write(
                dir,
                """
        {"id": "bare", "app": {"argv": ["xterm"], "window": {"wmClass": "XTerm"}}}
        """));

    assertEquals(List.of(), template.packages());
    assertEquals(Template.DEFAULT_MEMORY_MIB, template.memoryMib());
    assertEquals(Template.DEFAULT_VCPUS, template.vcpus());
    assertEquals(Template.DEFAULT_WIDTH, template.screenWidth());
    assertEquals(Template.DEFAULT_HEIGHT, template.screenHeight());
    assertEquals("restart", appConfig(template).path("onExit").asText());
  }

  @Test
  void theDefaultEgressIsCanonicalInTheManifestAndTheAppIsToldTheProxy(@TempDir Path dir)
      throws IOException {
    Template template =
        Templates.fromDirectory(
            write(
                dir,
                VALID.replace(
                    "\"vcpus\": 2,",
                    "\"vcpus\": 2, \"egress\": [\"GitHub.com.\", \"*.example.org:8443\"],")));

    assertEquals(List.of("github.com:443", "*.example.org:8443"), template.egress());
    assertEquals(
        List.of("github.com:443", "*.example.org:8443"), template.manifestDefaults().egress());
    JsonNode environment = appConfig(template).path("environment");
    assertEquals("http://169.254.77.1:3128", environment.path("https_proxy").asText());
    assertEquals("http://169.254.77.1:3128", environment.path("http_proxy").asText());
    assertEquals("localhost,127.0.0.1,::1,169.254.77.1", environment.path("no_proxy").asText());
    assertEquals("nano", environment.path("EDITOR").asText());
    assertEquals(List.of(), Templates.fromDirectory(write(dir, VALID)).egress(), "none by default");
  }

  @Test
  void releaseOnExitDoesNotRestartTheApp(@TempDir Path dir) throws IOException {
    Template template =
        Templates.fromDirectory(write(dir, VALID.replace("\"restart\"", "\"release\"")));

    assertEquals("release", appConfig(template).path("onExit").asText());
    assertTrue(text(template, Template.APP_RESTART_DROP_IN).contains("Restart=no"));
  }

  /** A recipe change and the field the refusal must name. */
  record Bad(String name, String field, String recipe) {
    @Override
    public String toString() {
      return name;
    }
  }

  @Test
  void aPoolIsTheRecipesWithKindlingsDefaultsAndNoneWithout(@TempDir Path dir) throws IOException {
    Template pooled =
        Templates.fromDirectory(
            write(
                dir,
                VALID.replace(
                    "\"defaults\":",
                    "\"pool\": {\"target\": 2, \"maxMemoryMib\": 1024}, \"defaults\":")));

    assertEquals(
        new dev.kindling.workflows.pool.PoolPolicy(2, Template.DEFAULT_POOL_MAX_AGE_SECONDS, 1024),
        pooled.poolPolicy());
    assertEquals(1, pooled.poolPolicy().targetFor(pooled.memoryMib()), "768 MiB VMs in 1024 MiB");
    assertEquals(0, Templates.builtIn("terminal").poolPolicy().target(), "no pool by default");
    assertEquals(
        imageId(Templates.fromDirectory(write(dir.resolve("unpooled"), VALID))),
        imageId(pooled),
        "the pool is not part of the image");
  }

  @Test
  void theIdsAreTheBuiltInsAndEachDirectoryWithARecipe(@TempDir Path dir) throws IOException {
    write(dir.resolve("notes"), VALID);
    Files.createDirectories(dir.resolve("empty"));

    assertEquals(
        List.of("browser", "notes", "terminal"),
        List.copyOf(Templates.ids(dir)),
        "no recipe, no id");
    assertEquals(List.of("browser", "terminal"), List.copyOf(Templates.ids(dir.resolve("none"))));
    assertEquals(List.of("browser", "terminal"), List.copyOf(Templates.ids(null)));
  }

  static List<Bad> badRecipes() {
    return List.of(
        new Bad(
            "a pool target beyond the maximum",
            "pool.target",
            VALID.replace("\"defaults\":", "\"pool\": {\"target\": 33}, \"defaults\":")),
        new Bad(
            "a negative pool age",
            "pool.maxAgeSeconds",
            VALID.replace("\"defaults\":", "\"pool\": {\"maxAgeSeconds\": -1}, \"defaults\":")),
        new Bad("unknown app key", "app.argvv", VALID.replace("\"argv\":", "\"argvv\":")),
        new Bad(
            "unknown top-level key",
            "colour",
            VALID.replace("\"id\": \"notes\",", "\"id\": \"notes\", \"colour\": \"blue\",")),
        new Bad(
            "'..' in a source",
            "files[0].source",
            VALID.replace("\"source\": \"notes.txt\"", "\"source\": \"../notes.txt\"")),
        new Bad(
            "'..' in a target",
            "files[0].target",
            VALID.replace(
                "\"target\": \"home/kindling/notes.txt\"",
                "\"target\": \"home/kindling/../../etc/shadow\"")),
        new Bad(
            "an absolute target",
            "files[0].target",
            VALID.replace(
                "\"target\": \"home/kindling/notes.txt\"",
                "\"target\": \"/home/kindling/notes.txt\"")),
        new Bad(
            "a target outside the allowed roots",
            "files[0].target",
            VALID.replace(
                "\"target\": \"home/kindling/notes.txt\"",
                "\"target\": \"etc/sudoers.d/kindling\"")),
        new Bad(
            "a target among Kindling's own files",
            "files[0].target",
            VALID.replace(
                "\"target\": \"home/kindling/notes.txt\"",
                "\"target\": \"usr/local/lib/kindling/kindling-agent\"")),
        new Bad(
            "no argv",
            "app.argv",
            VALID.replace(
                "\"argv\": [\"xterm\", \"-e\", \"nano\", \"/home/kindling/notes.txt\"],", "")),
        new Bad(
            "an empty argv",
            "app.argv",
            VALID.replace("[\"xterm\", \"-e\", \"nano\", \"/home/kindling/notes.txt\"]", "[]")),
        new Bad(
            "a blank program",
            "app.argv[0]",
            VALID.replace("[\"xterm\", \"-e\",", "[\" \", \"-e\",")),
        new Bad("a setuid mode", "files[0].mode", VALID.replace("\"0644\"", "\"4755\"")),
        new Bad(
            "a mode that is no octal", "files[0].mode", VALID.replace("\"0644\"", "\"rw-r--r--\"")),
        new Bad(
            "memory of the wrong type",
            "defaults.memoryMib",
            VALID.replace("\"memoryMib\": 768", "\"memoryMib\": \"lots\"")),
        new Bad(
            "memory as a string",
            "defaults.memoryMib",
            VALID.replace("\"memoryMib\": 768", "\"memoryMib\": \"768\"")),
        new Bad(
            "too little memory",
            "defaults.memoryMib",
            VALID.replace("\"memoryMib\": 768", "\"memoryMib\": 64")),
        new Bad("too many vCPUs", "defaults.vcpus", VALID.replace("\"vcpus\": 2", "\"vcpus\": 64")),
        new Bad(
            "a screen width no multiple of 8",
            "defaults.screen.width",
            VALID.replace("\"width\": 1024", "\"width\": 1025")),
        new Bad("an unknown onExit", "app.onExit", VALID.replace("\"restart\"", "\"explode\"")),
        new Bad(
            "no window",
            "app.window",
            VALID.replace(
                ",\n    \"window\": {\"wmClass\": \"^XTerm$\", \"title\": \"notes\"}", "")),
        new Bad(
            "an empty window",
            "app.window",
            VALID.replace("{\"wmClass\": \"^XTerm$\", \"title\": \"notes\"}", "{}")),
        new Bad(
            "an invalid wmClass regex",
            "app.window.wmClass",
            VALID.replace("\"^XTerm$\"", "\"(XTerm\"")),
        new Bad(
            "an invalid title regex",
            "app.window.title",
            VALID.replace("\"title\": \"notes\"", "\"title\": \"[notes\"")),
        new Bad(
            "a duplicate target",
            "files[1].target",
            VALID.replace(
                "[{\"source\": \"notes.txt\", \"target\": \"home/kindling/notes.txt\", \"mode\": \"0644\"}]",
                "[{\"source\": \"notes.txt\", \"target\": \"home/kindling/notes.txt\", \"mode\": \"0644\"},"
                    + " {\"source\": \"notes.txt\", \"target\": \"home/kindling/notes.txt\", \"mode\": \"0600\"}]")),
        new Bad(
            "a missing source file",
            "files[0].source",
            VALID.replace("\"source\": \"notes.txt\"", "\"source\": \"missing.txt\"")),
        new Bad(
            "no app", "app", VALID.substring(0, VALID.indexOf("\"app\"")) + "\"defaults\": {}}"),
        new Bad("an invalid id", "id", VALID.replace("\"id\": \"notes\"", "\"id\": \"Notes!\"")),
        new Bad(
            "an invalid package name",
            "packages[1]",
            VALID.replace("\"fonts-dejavu-core\"", "\"fonts dejavu; rm -rf /\"")),
        new Bad(
            "an environment variable Kindling sets",
            "app.environment.DISPLAY",
            VALID.replace("{\"EDITOR\": \"nano\"}", "{\"DISPLAY\": \":0\"}")),
        new Bad(
            "a relative working directory",
            "app.workingDirectory",
            VALID.replace("\"onExit\"", "\"workingDirectory\": \"home/kindling\", \"onExit\"")),
        new Bad(
            "the proxy variable Kindling sets",
            "app.environment.https_proxy",
            VALID.replace("{\"EDITOR\": \"nano\"}", "{\"https_proxy\": \"http://elsewhere:1\"}")),
        new Bad(
            "an address in the default egress",
            "defaults.egress",
            VALID.replace("\"vcpus\": 2,", "\"vcpus\": 2, \"egress\": [\"169.254.169.254:80\"],")),
        new Bad(
            "a top-level-domain wildcard in the default egress",
            "defaults.egress",
            VALID.replace("\"vcpus\": 2,", "\"vcpus\": 2, \"egress\": [\"*.com\"],")),
        new Bad("no JSON", Templates.RECIPE, "{\"id\": \"notes\","));
  }

  @ParameterizedTest
  @MethodSource("badRecipes")
  void aBadRecipeIsRefusedNamingTheField(Bad bad, @TempDir Path dir) throws IOException {
    assertNotEquals(VALID, bad.recipe(), "the change applies to the recipe");

    InvalidTemplateException refused = refused(dir, bad.recipe());

    assertEquals(bad.field(), refused.field(), refused.getMessage());
    assertTrue(refused.getMessage().contains(bad.field()), refused.getMessage());
    assertEquals("InvalidTemplate", refused.kind().type());
  }

  @Test
  void aSourceMayNotLeaveTheTemplateDirectoryThroughALink(@TempDir Path temp) throws IOException {
    Path outside = Files.writeString(temp.resolve("secret.txt"), "not the template's");
    Path dir =
        write(
            temp.resolve("notes"),
            VALID.replace("\"source\": \"notes.txt\"", "\"source\": \"link.txt\""));
    Files.createSymbolicLink(dir.resolve("link.txt"), outside);

    InvalidTemplateException refused =
        assertThrows(InvalidTemplateException.class, () -> Templates.fromDirectory(dir));

    assertEquals("files[0].source", refused.field(), refused.getMessage());
  }

  @Test
  void anUnknownKeyNamesTheKnownOnes(@TempDir Path dir) throws IOException {
    InvalidTemplateException refused = refused(dir, VALID.replace("\"argv\":", "\"argvv\":"));

    assertTrue(
        refused.getMessage().contains("argv") && refused.getMessage().contains("window"),
        refused.getMessage());
  }

  @Test
  void aTemplateIsFoundByIdInTheTemplatesDirectoryBeforeTheBuiltIns(@TempDir Path templates)
      throws IOException {
    write(templates.resolve("notes"), VALID);
    write(
        templates.resolve("terminal"), VALID.replace("\"id\": \"notes\"", "\"id\": \"terminal\""));

    assertEquals("notes", Templates.resolve("notes", templates).id());
    Template replaced = Templates.resolve("terminal", templates);
    assertEquals(
        templates.resolve("terminal").toRealPath().toString(),
        replaced.origin(),
        "the operator's terminal replaces the built-in");
    assertEquals("browser", Templates.resolve("browser", templates).id());
    assertEquals("built-in browser", Templates.resolve("browser", templates).origin());

    InvalidTemplateException unknown =
        assertThrows(InvalidTemplateException.class, () -> Templates.resolve("kiosk", templates));
    assertEquals("template", unknown.field());
    assertTrue(
        unknown.getMessage().contains("terminal") && unknown.getMessage().contains("browser"),
        unknown.getMessage());
    assertEquals(
        "template",
        assertThrows(InvalidTemplateException.class, () -> Templates.resolve("Not An Id", null))
            .field());
    assertEquals(
        "template",
        assertThrows(InvalidTemplateException.class, () -> Templates.builtIn("kiosk")).field());
  }

  @Test
  void aDirectoryWithoutARecipeIsNoTemplate(@TempDir Path dir) {
    InvalidTemplateException refused =
        assertThrows(InvalidTemplateException.class, () -> Templates.fromDirectory(dir));
    assertEquals("template", refused.field());
    assertEquals(
        "template",
        assertThrows(
                InvalidTemplateException.class,
                () -> Templates.fromDirectory(dir.resolve("absent")))
            .field());
  }

  @Test
  void theImageIdFollowsTheTemplatesFilesPackagesAndApp(@TempDir Path temp) throws IOException {
    String base = imageId(Templates.fromDirectory(write(temp.resolve("a"), VALID)));
    assertEquals(
        base,
        imageId(Templates.fromDirectory(write(temp.resolve("b"), VALID))),
        "the same template, the same image");

    Path changedFile = write(temp.resolve("c"), VALID);
    Files.writeString(changedFile.resolve("notes.txt"), "remember the eggs\n");
    Map<String, String> ids =
        Map.of(
            "file content", imageId(Templates.fromDirectory(changedFile)),
            "file mode",
                imageId(
                    Templates.fromDirectory(
                        write(temp.resolve("d"), VALID.replace("\"0644\"", "\"0600\"")))),
            "packages",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("e"),
                            VALID.replace("\"xterm\", \"fonts", "\"xterm\", \"nano\", \"fonts")))),
            "argv",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("f"),
                            VALID.replace("\"nano\", \"/home", "\"vi\", \"/home")))),
            "window",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("g"),
                            VALID.replace("\"title\": \"notes\"", "\"title\": \"notes.txt\"")))),
            "screen",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("h"),
                            VALID.replace("\"height\": 768", "\"height\": 600")))),
            "environment",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("i"),
                            VALID.replace("\"EDITOR\": \"nano\"", "\"EDITOR\": \"vi\"")))),
            // The guest size is written into the image's manifest, so an image of another size is
            // another image.
            "memory",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("j"),
                            VALID.replace("\"memoryMib\": 768", "\"memoryMib\": 1024")))),
            "vcpus",
                imageId(
                    Templates.fromDirectory(
                        write(temp.resolve("k"), VALID.replace("\"vcpus\": 2", "\"vcpus\": 1")))),
            // So is its default egress: the manifest records what its canary ran with.
            "egress",
                imageId(
                    Templates.fromDirectory(
                        write(
                            temp.resolve("l"),
                            VALID.replace(
                                "\"vcpus\": 2,", "\"vcpus\": 2, \"egress\": [\"a.org\"],")))));
    for (Map.Entry<String, String> changed : ids.entrySet()) {
      assertNotEquals(
          base, changed.getValue(), "a changed " + changed.getKey() + " is a new image");
    }
    assertEquals(
        ids.size(),
        ids.values().stream().collect(Collectors.toSet()).size(),
        "each change gives its own image: " + ids);
  }

  @Test
  void packageOrderAndRepetitionDoNotChangeTheImageId(@TempDir Path temp) throws IOException {
    String base = imageId(Templates.fromDirectory(write(temp.resolve("a"), VALID)));
    String reordered =
        imageId(
            Templates.fromDirectory(
                write(
                    temp.resolve("b"),
                    VALID.replace(
                        "[\"xterm\", \"fonts-dejavu-core\"]",
                        "[\"fonts-dejavu-core\", \"xterm\", \"xterm\"]"))));
    assertEquals(base, reordered);
  }
}
