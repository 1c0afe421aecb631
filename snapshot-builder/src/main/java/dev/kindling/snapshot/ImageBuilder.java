package dev.kindling.snapshot;

import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.Manifest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds golden images, cached by content hash under {@link HostPaths#imageDir}. A build goes into
 * a temporary directory beside the cache entry and is published with one atomic rename, so a
 * partial build is never visible. Builders of the same id, in this process or in others, serialize
 * on {@code images/.<id>.lock}; the second finds the first one's image.
 */
public final class ImageBuilder {
  private static final Logger log = LoggerFactory.getLogger(ImageBuilder.class);

  /**
   * FileChannel locks belong to the process, so threads of one process also need a lock of their
   * own.
   */
  private static final Map<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

  private static final String BUILD_PREFIX = ".build-";

  private final ImageAssembler assembler;

  public ImageBuilder() {
    this(new DebootstrapAssembler());
  }

  public ImageBuilder(ImageAssembler assembler) {
    this.assembler = assembler;
  }

  /** The id {@link #build} would produce for these options, without building anything. */
  public static String imageId(BuildOptions options) {
    return options.recipe().imageId();
  }

  public BuiltImage build(BuildOptions options) {
    long startNanos = System.nanoTime();
    ImageRecipe recipe = options.recipe();
    String id = recipe.imageId();
    Template template = options.template();
    HostPaths paths = options.paths();
    Path dir = paths.imageDir(id);
    Manifest cached = Manifest.published(dir, id);
    if (cached != null) {
      log.debug("image {} is cached", id);
      return new BuiltImage(
          cached.toImageRef(), dir, cached, true, Duration.ofNanos(System.nanoTime() - startNanos));
    }
    try {
      Files.createDirectories(paths.imagesDir());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path lockFile = paths.imagesDir().resolve("." + id + ".lock");
    ReentrantLock local =
        LOCAL_LOCKS.computeIfAbsent(lockFile.toAbsolutePath(), k -> new ReentrantLock());
    local.lock();
    try (FileChannel channel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      cached = Manifest.published(dir, id);
      if (cached != null) {
        log.info("image {} was built by a concurrent builder", id);
        return new BuiltImage(
            cached.toImageRef(),
            dir,
            cached,
            true,
            Duration.ofNanos(System.nanoTime() - startNanos));
      }
      Manifest manifest = buildLocked(recipe, template, paths, dir, startNanos);
      return new BuiltImage(
          manifest.toImageRef(),
          dir,
          manifest,
          false,
          Duration.ofNanos(System.nanoTime() - startNanos));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock " + lockFile, e);
    } finally {
      local.unlock();
    }
  }

  private Manifest buildLocked(
      ImageRecipe recipe, Template template, HostPaths paths, Path dir, long startNanos)
      throws IOException {
    String id = recipe.imageId();
    removeLeftovers(paths.imagesDir(), id);
    Path work = Files.createTempDirectory(paths.imagesDir(), BUILD_PREFIX + id + "-");
    // Readable by a VMM that does not run as root; the directory name is only private while
    // building.
    Files.setPosixFilePermissions(
        work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    log.info("building image {} in {}", id, work);
    try {
      ImageAssembler.AssembledImage assembled = assembler.assemble(recipe, work, paths);
      double seconds = (System.nanoTime() - startNanos) / 1e9;
      Manifest manifest =
          new Manifest(
              id,
              recipe.suite(),
              recipe.mirror(),
              assembled.kernelVersion(),
              recipe.kernelCmdline(),
              Manifest.ROOTFS,
              Manifest.KERNEL,
              Manifest.INITRD,
              assembled.packages(),
              recipe.units(),
              recipe.maskedUnits(),
              GuestImageSpec.PORTS,
              assembled.rootfsBytes(),
              assembled.usedBytes(),
              Math.round(seconds * 10) / 10.0,
              Instant.now().getEpochSecond(),
              recipe.builderVersion(),
              template.id(),
              template.manifestDefaults());
      manifest.write(work.resolve(Manifest.FILE));
      if (Files.exists(dir)) {
        // A directory without a valid manifest is debris (e.g. from a copy that was interrupted).
        Path debris = Files.createTempDirectory(paths.imagesDir(), BUILD_PREFIX + id + "-debris-");
        Files.move(dir, debris.resolve("old"), StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteRecursively(debris);
      }
      Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
      log.info(
          "published image {} ({} MiB used) in {} s",
          id,
          assembled.usedBytes() / (1024 * 1024),
          manifest.buildSeconds());
      return manifest;
    } catch (RuntimeException | IOException | Error e) {
      log.warn("build of image {} failed; removing {}", id, work);
      try {
        FileTrees.deleteRecursively(work);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      if (e instanceof InvalidTemplateException invalid) {
        throw invalid;
      }
      throw new ImageBuildException("building image " + id + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Temporary directories of earlier builds of this id that died; safe to remove while holding its
   * lock.
   */
  private static void removeLeftovers(Path imagesDir, String id) throws IOException {
    try (Stream<Path> entries = Files.list(imagesDir)) {
      for (Path entry :
          entries
              .filter(p -> p.getFileName().toString().startsWith(BUILD_PREFIX + id + "-"))
              .toList()) {
        log.warn("removing {} left by an interrupted build", entry);
        FileTrees.deleteRecursively(entry);
      }
    }
  }
}
