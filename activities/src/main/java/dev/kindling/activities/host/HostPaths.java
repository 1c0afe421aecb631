package dev.kindling.activities.host;

import dev.kindling.workflows.Validation;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where Kindling keeps things on a host. Images and snapshots are content-addressed and cached
 * outside any work tree; per-VM runtime files live under the run directory and are removed with
 * the VM.
 *
 * <pre>
 * cacheDir/images/&lt;imageId&gt;/{rootfs.ext4, vmlinuz, initrd.img, manifest.json}
 * cacheDir/images/&lt;imageId&gt;/snapshots/&lt;snapshotId&gt;/...
 * cacheDir/current/&lt;template&gt;.json     each template's promoted image (written atomically)
 * runDir/vms/&lt;vmId&gt;/{owner.json, secrets.json, vmm.pid, serial.log, qmp.sock, overlay.qcow2, ...}
 * runDir/evidence/&lt;vmId&gt;-*.png       evidence kept after the VM is gone (a blank desktop's thumbnail)
 * </pre>
 *
 * @param cacheDir default {@code $XDG_CACHE_HOME/kindling} or {@code ~/.cache/kindling}; env KINDLING_CACHE_DIR
 * @param runDir default {@code /run/kindling}; env KINDLING_RUN_DIR
 */
public record HostPaths(Path cacheDir, Path runDir) {

  public static HostPaths fromEnvironment() {
    return from(System.getenv());
  }

  public static HostPaths from(Map<String, String> env) {
    Path cache;
    if (env.get("KINDLING_CACHE_DIR") != null) {
      cache = Path.of(env.get("KINDLING_CACHE_DIR"));
    } else if (env.get("XDG_CACHE_HOME") != null) {
      cache = Path.of(env.get("XDG_CACHE_HOME"), "kindling");
    } else {
      cache = Path.of(System.getProperty("user.home"), ".cache", "kindling");
    }
    Path run = Path.of(env.getOrDefault("KINDLING_RUN_DIR", "/run/kindling"));
    return new HostPaths(cache.toAbsolutePath(), run.toAbsolutePath());
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
