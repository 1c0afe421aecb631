package dev.kindling.snapshot;

import dev.kindling.host.HostPaths;
import dev.kindling.host.images.Manifest;
import dev.kindling.host.images.PackageVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Writes small stand-ins for the image files; counts calls; can be told to wait or to fail. */
public final class FakeAssembler implements ImageAssembler {
  final AtomicInteger calls = new AtomicInteger();
  volatile CountDownLatch entered = new CountDownLatch(1);
  volatile CountDownLatch proceed = new CountDownLatch(0);
  volatile RuntimeException failure;

  @Override
  public AssembledImage assemble(ImageRecipe recipe, Path outDir, HostPaths paths) {
    calls.incrementAndGet();
    try {
      Files.writeString(outDir.resolve(Manifest.KERNEL), "kernel");
      Files.writeString(outDir.resolve(Manifest.INITRD), "initrd");
      Files.writeString(outDir.resolve(Manifest.ROOTFS), "rootfs of " + recipe.imageId());
      entered.countDown();
      if (!proceed.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the test never let the fake build proceed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (failure != null) {
      throw failure;
    }
    return new AssembledImage("6.1.0-test", List.of(new PackageVersion("systemd", "252")), 42, 21);
  }
}
