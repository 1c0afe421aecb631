package dev.kindling.worker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input validation of {@code kindling image}: bad input is refused with exit status 2 before the
 * host is touched.
 */
class ImageCommandTest {
  @TempDir Path dir;

  @Test
  void verifyRefusesIdsThatAreNotContentHashes() {
    for (String id :
        new String[] {
          "not-an-id", "A".repeat(64), "a".repeat(63), "../" + "a".repeat(61), "a".repeat(64) + ";"
        }) {
      Output output = run("image", "verify", id);
      assertEquals(KindlingCli.EXIT_INVALID_INPUT, output.status(), id);
      assertTrue(output.err().contains("imageId"), output.err());
      assertHostUntouched();
    }
  }

  @Test
  void verifyRefusesControlCharactersInKernelArguments() {
    Output output =
        run("image", "verify", "a".repeat(64), "--kernel-args", "quiet\nsystemd.mask=x.service");
    assertEquals(KindlingCli.EXIT_INVALID_INPUT, output.status());
    assertTrue(output.err().contains("kernel-args"), output.err());
    assertHostUntouched();
  }

  @Test
  void buildRefusesUnitNamesThatAreNotUnits() {
    Output output = run("image", "build", "--mask-unit", "websockify; rm -rf /");
    assertEquals(KindlingCli.EXIT_INVALID_INPUT, output.status());
    assertTrue(output.err().contains("mask-unit"), output.err());
    assertHostUntouched();
  }

  @Test
  void verifyOfAnImageThatIsNotInTheCacheFailsTypedWithoutBooting() {
    Output output = run("image", "verify", "0".repeat(64));
    assertEquals(KindlingCli.EXIT_FAILED, output.status());
    assertTrue(output.err().contains("UnknownImage"), output.err());
    assertFalse(Files.exists(dir.resolve("run/vms")), "no VM directory was made");
  }

  @Test
  void listOfAnEmptyCacheIsAnEmptyJsonArray() {
    Output output = run("image", "list", "--json");
    assertEquals(0, output.status(), output.err());
    assertEquals("[ ]", output.out().strip());
  }

  @Test
  void buildOfAnUnknownTemplateFailsTypedBeforeTheHostIsTouched() {
    Output output =
        run(
            "image",
            "build",
            "--template",
            "kiosk",
            "--set",
            "templates.dir=" + dir.resolve("templates"));
    assertEquals(KindlingCli.EXIT_FAILED, output.status(), output.err());
    assertTrue(output.err().contains("InvalidTemplate"), output.err());
    assertTrue(output.err().contains("kiosk"), output.err());
    assertHostUntouched();
  }

  @Test
  void buildOfAnInvalidTemplateDirectoryNamesTheFieldBeforeTheHostIsTouched() throws Exception {
    Path template = Files.createDirectories(dir.resolve("templates").resolve("broken"));
    Files.writeString(
        template.resolve("template.json"),
        "{\"id\": \"broken\", \"app\": {\"argv\": [\"xterm\"]}}");
    Output output =
        run(
            "image",
            "build",
            "--template",
            "broken",
            "--set",
            "templates.dir=" + dir.resolve("templates"));
    assertEquals(KindlingCli.EXIT_FAILED, output.status(), output.err());
    assertTrue(output.err().contains("InvalidTemplate"), output.err());
    assertTrue(output.err().contains("app.window"), output.err());
    assertHostUntouched();
  }

  private void assertHostUntouched() {
    assertFalse(Files.exists(dir.resolve("cache")), "cache directory created");
    assertFalse(Files.exists(dir.resolve("run")), "run directory created");
  }

  private Output run(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--set";
    all[args.length + 1] = "cache.dir=" + dir.resolve("cache");
    all[args.length + 2] = "--set";
    all[args.length + 3] = "run.dir=" + dir.resolve("run");
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
      int status = KindlingCli.execute(all);
      return new Output(
          status,
          outBytes.toString(StandardCharsets.UTF_8),
          errBytes.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private record Output(int status, String out, String err) {}
}
