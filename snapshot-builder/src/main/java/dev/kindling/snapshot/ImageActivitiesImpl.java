package dev.kindling.snapshot;

import dev.kindling.activities.host.HostPaths;
import dev.kindling.workflows.FailureKind;
import dev.kindling.workflows.InvalidInputException;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.image.ImageActivities;
import dev.kindling.workflows.image.ImageBuildRequest;
import java.util.function.Supplier;

/** Golden images as Temporal activities on a host's queue; typed exceptions become typed failures. */
public final class ImageActivitiesImpl implements ImageActivities {
  private final ImageBuilder builder;
  private final ImageStore store;
  private final Supplier<BuildOptions> options;

  public ImageActivitiesImpl(HostPaths paths) {
    this(new ImageBuilder(), new ImageStore(paths), () -> BuildOptions.defaults(paths));
  }

  public ImageActivitiesImpl(ImageBuilder builder, ImageStore store, Supplier<BuildOptions> options) {
    this.builder = builder;
    this.store = store;
    this.options = options;
  }

  @Override
  public ImageRef buildImage(ImageBuildRequest request) {
    return typed(() -> builder.build(options.get()).ref());
  }

  @Override
  public ImageRef resolveImage(String imageId) {
    return typed(() -> store.resolve(imageId));
  }

  @Override
  public void promote(ImageRef image) {
    typed(() -> store.promote(image));
  }

  private static <T> T typed(Supplier<T> action) {
    try {
      return action.get();
    } catch (UnknownImageException e) {
      throw e.kind().failure(e.getMessage());
    } catch (SnapshotMismatchException e) {
      throw e.kind().failure(e.getMessage());
    } catch (ImageBuildException e) {
      throw e.kind().failure(e.getMessage());
    } catch (InvalidInputException e) {
      throw FailureKind.INVALID_INPUT.failure(e.getMessage());
    }
  }
}
