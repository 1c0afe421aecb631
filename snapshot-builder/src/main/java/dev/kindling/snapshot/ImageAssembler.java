package dev.kindling.snapshot;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.PackageVersion;
import java.nio.file.Path;

/**
 * The expensive part of a build: turns a recipe into {@code rootfs.ext4}, {@code vmlinuz} and
 * {@code initrd.img} inside {@code outDir}. {@link ImageBuilder} owns caching, locking and
 * publishing around it.
 */
public interface ImageAssembler {
  AssembledImage assemble(ImageRecipe recipe, Path outDir, HostPaths paths);

  /** What the assembler learnt while building, for the manifest. */
  record AssembledImage(
      String kernelVersion,
      java.util.List<PackageVersion> packages,
      long rootfsBytes,
      long usedBytes) {}
}
