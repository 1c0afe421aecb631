package dev.kindling.host.images;

import dev.kindling.workflows.host.ImageRef;
import java.nio.file.Path;

/** An image published in the cache. */
public record StoredImage(ImageRef ref, Path dir, Manifest manifest) {
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
