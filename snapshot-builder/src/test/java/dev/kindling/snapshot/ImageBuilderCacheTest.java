package dev.kindling.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Caching, locking and publishing, with a fake for the expensive debootstrap part only. */
class ImageBuilderCacheTest {

  private static BuildOptions options(Path cache) {
    return options(cache, Templates.builtIn(Templates.DEFAULT));
  }

  private static BuildOptions options(Path cache, Template template) {
    return new BuildOptions(
        "bookworm",
        "http://mirror.example/debian",
        GuestImageSpec.PACKAGES,
        List.of(),
        template,
        new HostPaths(cache, cache.resolve("run")));
  }

  @Test
  void aFirstBuildPublishesAndARepeatIsACacheHit(@TempDir Path cache) throws Exception {
    FakeAssembler fake = new FakeAssembler();
    ImageBuilder builder = new ImageBuilder(fake);
    BuiltImage first = builder.build(options(cache));
    assertFalse(first.cacheHit());
    assertEquals(options(cache).paths().imageDir(first.ref().imageId()), first.dir());
    assertEquals("rootfs of " + first.ref().imageId(), Files.readString(first.rootfs()));
    assertEquals(Manifest.read(first.dir().resolve(Manifest.FILE)), first.manifest());
    assertEquals("6.1.0-test", first.manifest().kernelVersion());
    assertEquals(42, first.manifest().rootfsBytes());
    assertEquals(Templates.DEFAULT, first.manifest().template());
    assertEquals(Templates.DEFAULT, first.ref().template());
    Template terminal = Templates.builtIn(Templates.DEFAULT);
    assertEquals(
        new Manifest.Defaults(
            terminal.memoryMib(),
            terminal.vcpus(),
            terminal.screenWidth(),
            terminal.screenHeight()),
        first.manifest().defaults());

    BuiltImage second = new ImageBuilder(fake).build(options(cache));
    assertTrue(second.cacheHit());
    assertEquals(first.manifest(), second.manifest());
    assertEquals(1, fake.calls.get());
    assertEquals(List.of(first.ref().imageId()), imageEntries(cache));
  }

  @Test
  void concurrentBuildersOfOneIdProduceOneImage(@TempDir Path cache) throws Exception {
    FakeAssembler fake = new FakeAssembler();
    fake.proceed = new CountDownLatch(1);
    int builders = 4;
    ExecutorService pool = Executors.newFixedThreadPool(builders);
    try {
      List<Future<BuiltImage>> results = new ArrayList<>();
      for (int i = 0; i < builders; i++) {
        results.add(pool.submit(() -> new ImageBuilder(fake).build(options(cache))));
      }
      assertTrue(fake.entered.await(30, TimeUnit.SECONDS));
      String id = options(cache).recipe().imageId();
      // While the one build runs, nothing is published under the id.
      assertFalse(Files.exists(options(cache).paths().imageDir(id)));
      fake.proceed.countDown();
      int hits = 0;
      for (Future<BuiltImage> result : results) {
        BuiltImage image = result.get(60, TimeUnit.SECONDS);
        assertEquals(id, image.ref().imageId());
        hits += image.cacheHit() ? 1 : 0;
      }
      assertEquals(1, fake.calls.get());
      assertEquals(builders - 1, hits);
      assertEquals(List.of(id), imageEntries(cache));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedBuildLeavesNothingBehind(@TempDir Path cache) throws Exception {
    FakeAssembler fake = new FakeAssembler();
    fake.failure = new IllegalStateException("debootstrap exploded");
    ImageBuildException e =
        assertThrows(ImageBuildException.class, () -> new ImageBuilder(fake).build(options(cache)));
    assertInstanceOf(IllegalStateException.class, e.getCause());
    assertTrue(e.getMessage().contains("debootstrap exploded"));
    assertEquals(List.of(), imageEntries(cache));

    fake.failure = null;
    assertFalse(new ImageBuilder(fake).build(options(cache)).cacheHit());
  }

  @Test
  void debrisOfAnInterruptedBuildIsReplaced(@TempDir Path cache) throws Exception {
    BuildOptions options = options(cache);
    String id = options.recipe().imageId();
    Path dir = options.paths().imageDir(id);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(Manifest.ROOTFS), "half a file");
    Path leftover = options.paths().imagesDir().resolve(".build-" + id + "-12345");
    Files.createDirectories(leftover);

    BuiltImage image = new ImageBuilder(new FakeAssembler()).build(options);
    assertFalse(image.cacheHit());
    assertEquals("rootfs of " + id, Files.readString(image.rootfs()));
    assertEquals(List.of(id), imageEntries(cache));
  }

  @Test
  void eachTemplateIsItsOwnImageWithItsOwnManifest(@TempDir Path cache) throws Exception {
    FakeAssembler fake = new FakeAssembler();
    BuiltImage terminal = new ImageBuilder(fake).build(options(cache));
    BuiltImage browser = new ImageBuilder(fake).build(options(cache, Templates.builtIn("browser")));

    assertFalse(browser.cacheHit(), "another template is another image");
    assertEquals("browser", browser.manifest().template());
    assertEquals(1024, browser.manifest().defaults().memoryMib());
    assertEquals("browser", browser.ref().template());
    assertEquals(2, fake.calls.get());
    assertEquals(
        List.of(terminal.ref().imageId(), browser.ref().imageId()).stream().sorted().toList(),
        imageEntries(cache));
  }

  @Test
  void anInvalidTemplateFoundWhileBuildingFailsAsSuchAndLeavesNothingBehind(@TempDir Path cache)
      throws Exception {
    FakeAssembler fake = new FakeAssembler();
    fake.failure =
        new InvalidTemplateException(
            "terminal", "packages[0]", "'xterm' is not a package of Debian bookworm");

    InvalidTemplateException e =
        assertThrows(
            InvalidTemplateException.class, () -> new ImageBuilder(fake).build(options(cache)));

    assertEquals("packages[0]", e.field());
    assertEquals("InvalidTemplate", e.kind().type());
    assertEquals(List.of(), imageEntries(cache));
  }

  /** Everything in images/ except lock files: published images and any temporary directories. */
  private static List<String> imageEntries(Path cache) throws IOException {
    try (Stream<Path> entries = Files.list(cache.resolve("images"))) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(n -> !n.endsWith(".lock"))
          .sorted()
          .toList();
    }
  }
}
