package dev.kindling.host.images;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.host.FileTrees;
import dev.kindling.host.HostPaths;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.ImageRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The images published on this host and which one is current for each template. */
public final class ImageStore {
  private static final Logger log = LoggerFactory.getLogger(ImageStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HostPaths paths;

  public ImageStore(HostPaths paths) {
    this.paths = paths;
  }

  /** Every published image, newest first. */
  public List<StoredImage> list() {
    Path dir = paths.imagesDir();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<StoredImage> images = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        if (name.matches("[0-9a-f]{64}")) {
          Manifest manifest = Manifest.published(entry, name);
          if (manifest != null) {
            images.add(new StoredImage(manifest.toImageRef(), entry, manifest));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    images.sort(
        Comparator.comparingLong((StoredImage i) -> i.manifest().builtAtEpochSeconds())
            .reversed()
            .thenComparing(i -> i.ref().imageId()));
    return images;
  }

  /**
   * The published image with this id.
   *
   * @throws dev.kindling.workflows.InvalidInputException when the id is not a content hash
   * @throws UnknownImageException when no such image is published
   */
  public StoredImage find(String imageId) {
    Path dir = paths.imageDir(Validation.imageId(imageId));
    Manifest manifest = Manifest.published(dir, imageId);
    if (manifest == null) {
      throw new UnknownImageException(
          imageId, "no image " + imageId + " under " + paths.imagesDir());
    }
    return new StoredImage(manifest.toImageRef(), dir, manifest);
  }

  /** The promoted image of {@code template}, if any. */
  public Optional<ImageRef> current(String template) {
    Path file = paths.currentImageFile(template);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), ImageRef.class));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Every template's promoted image, by template id. */
  public java.util.SortedMap<String, ImageRef> currents() {
    java.util.SortedMap<String, ImageRef> all = new java.util.TreeMap<>();
    if (!Files.isDirectory(paths.currentDir())) {
      return all;
    }
    try (Stream<Path> files = Files.list(paths.currentDir())) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        if (name.matches("[a-z][a-z0-9-]{0,31}\\.json")) {
          String template = name.substring(0, name.length() - ".json".length());
          current(template).ifPresent(ref -> all.put(template, ref));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return all;
  }

  /**
   * The image by id, or {@code template}'s current image when {@code imageId} is null. A snapshot
   * in the current image's reference is checked again, so a removed snapshot is not handed out.
   */
  public ImageRef resolve(String imageId, String template) {
    if (imageId != null) {
      return find(imageId).ref();
    }
    ImageRef current =
        current(template)
            .orElseThrow(
                () ->
                    new UnknownImageException(
                        null,
                        "no current image of template "
                            + template
                            + ": build one and promote it (kindling image build --template "
                            + template
                            + "; "
                            + paths.currentImageFile(template)
                            + " is missing)"));
    find(current.imageId());
    if (current.hasSnapshot()) {
      checkSnapshot(current.imageId(), current.snapshotId());
    }
    return current;
  }

  /**
   * Makes {@code image} (with its snapshot, if any) its template's current image by writing {@code
   * current/<template>.json} through a temporary file and an atomic rename: readers see the old or
   * the new image, never a mix.
   *
   * @return the reference as written, with the manifest's kernel version and build time
   * @throws UnknownImageException when the image is not published
   * @throws SnapshotMismatchException when the snapshot is not stored under this image or names
   *     another image
   */
  public ImageRef promote(ImageRef image) {
    StoredImage stored = find(image.imageId());
    if (image.hasSnapshot()) {
      checkSnapshot(image.imageId(), image.snapshotId());
    }
    String template = stored.manifest().template();
    if (template == null) {
      throw new UnknownImageException(
          image.imageId(),
          "image " + image.imageId() + " was built without a template; rebuild it");
    }
    ImageRef ref =
        new ImageRef(
            stored.ref().imageId(),
            image.hasSnapshot() ? image.snapshotId() : null,
            stored.manifest().kernelVersion(),
            stored.manifest().builtAtEpochSeconds(),
            template);
    Path file = paths.currentImageFile(template);
    try {
      FileTrees.writeAtomically(file, JSON.writeValueAsBytes(ref));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    log.info(
        "promoted image {} of template {}{}",
        ref.imageId(),
        template,
        ref.hasSnapshot() ? " with snapshot " + ref.snapshotId() : "");
    return ref;
  }

  /**
   * Checks that {@code snapshotId} is stored under {@code imageId} and its {@code snapshot.json}
   * names that image.
   */
  public SnapshotManifest checkSnapshot(String imageId, String snapshotId) {
    Path dir;
    try {
      dir = paths.snapshotDir(imageId, snapshotId);
    } catch (dev.kindling.workflows.InvalidInputException e) {
      throw new SnapshotMismatchException(
          "snapshot id '" + snapshotId + "' is not valid: " + e.getMessage());
    }
    Path file = dir.resolve(SnapshotFiles.MANIFEST);
    if (!Files.isRegularFile(file)) {
      throw new SnapshotMismatchException(
          "snapshot "
              + snapshotId
              + " is not stored under image "
              + imageId
              + " (no "
              + file
              + ")");
    }
    SnapshotManifest info;
    try {
      info = SnapshotManifest.read(dir).manifest();
    } catch (UncheckedIOException e) {
      throw new SnapshotMismatchException(
          "snapshot "
              + snapshotId
              + " has an unreadable "
              + file
              + ": "
              + e.getCause().getMessage());
    }
    if (!imageId.equals(info.imageId())) {
      throw new SnapshotMismatchException(
          "snapshot " + snapshotId + " was made from image " + info.imageId() + ", not " + imageId);
    }
    return info;
  }
}
