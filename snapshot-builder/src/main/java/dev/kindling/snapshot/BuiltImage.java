package dev.kindling.snapshot;

import dev.kindling.host.images.Manifest;
import dev.kindling.workflows.host.ImageRef;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The result of {@link ImageBuilder#build}.
 *
 * @param dir the published image directory holding rootfs, kernel, initrd and manifest
 * @param cacheHit true when the image already existed and nothing was built
 * @param duration wall time of this call
 */
public record BuiltImage(
    ImageRef ref, Path dir, Manifest manifest, boolean cacheHit, Duration duration) {
  public Path rootfs() {
    return dir.resolve(Manifest.ROOTFS);
  }

  public Path kernel() {
    return dir.resolve(Manifest.KERNEL);
  }

  public Path initrd() {
    return dir.resolve(Manifest.INITRD);
  }
}
