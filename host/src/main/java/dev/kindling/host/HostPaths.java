package dev.kindling.host;

import dev.kindling.workflows.Validation;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where Kindling keeps things on a host. Images and snapshots are content-addressed and cached
 * outside any work tree; per-VM runtime files live under the run directory and are removed with the
 * VM.
 *
 * <pre>
 * cacheDir/images/&lt;imageId&gt;/{rootfs.ext4, vmlinuz, initrd.img, manifest.json}
 * cacheDir/images/&lt;imageId&gt;/snapshots/&lt;snapshotId&gt;/...
 * cacheDir/current/&lt;template&gt;.json     each template's promoted image (written atomically)
 * runDir/vms/&lt;vmId&gt;/{owner.json, secrets.json, vmm.pid, serial.log, qmp.sock, overlay.qcow2, ...}
 * runDir/evidence/&lt;vmId&gt;-*.png       evidence kept after the VM is gone (a blank desktop's thumbnail)
 * </pre>
 *
 * <p>A process takes both from its configuration (settings {@code cache.dir} and {@code run.dir}).
 *
 * @param cacheDir images and snapshots; default {@link #defaultCacheDir}
 * @param runDir per-VM runtime files; default {@code /run/kindling}
 */
public record HostPaths(Path cacheDir, Path runDir) {

  /**
   * For tests and benchmarks, which run without a configuration: {@code KINDLING_CACHE_DIR} and
   * {@code KINDLING_RUN_DIR}, the environment names of the settings {@code cache.dir} and {@code
   * run.dir}, with the same defaults.
   */
  public static HostPaths fromEnvironment() {
    return from(System.getenv());
  }

  /** {@link #fromEnvironment()} with {@code env} as the environment. */
  public static HostPaths from(Map<String, String> env) {
    String cache = env.get("KINDLING_CACHE_DIR");
    Path run = Path.of(env.getOrDefault("KINDLING_RUN_DIR", "/run/kindling"));
    return new HostPaths(
        (cache != null ? Path.of(cache) : defaultCacheDir(env)).toAbsolutePath(),
        run.toAbsolutePath());
  }

  /**
   * The cache directory when none is configured: {@code $XDG_CACHE_HOME/kindling}, else {@code
   * ~/.cache/kindling}.
   */
  public static Path defaultCacheDir(Map<String, String> env) {
    String xdg = env.get("XDG_CACHE_HOME");
    return (xdg != null
            ? Path.of(xdg, "kindling")
            : Path.of(System.getProperty("user.home"), ".cache", "kindling"))
        .toAbsolutePath();
  }

  public Path imagesDir() {
    return cacheDir.resolve("images");
  }

  public Path imageDir(String imageId) {
    return imagesDir().resolve(Validation.imageId(imageId));
  }

  public Path snapshotDir(String imageId, String snapshotId) {
    return imageDir(imageId).resolve("snapshots").resolve(Validation.imageId(snapshotId));
  }

  public Path currentDir() {
    return cacheDir.resolve("current");
  }

  public Path currentImageFile(String template) {
    return currentDir().resolve(Validation.templateId(template) + ".json");
  }

  public Path vmsDir() {
    return runDir.resolve("vms");
  }

  /** Evidence that outlives its VM, named by VM id. */
  public Path evidenceDir() {
    return runDir.resolve("evidence");
  }

  public Path vmDir(String vmId) {
    return vmsDir().resolve(Validation.vmId(vmId));
  }
}
