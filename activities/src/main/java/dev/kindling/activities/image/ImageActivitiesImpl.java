package dev.kindling.activities.image;

import dev.kindling.activities.temporal.HostFailures;
import dev.kindling.host.HostPaths;
import dev.kindling.host.images.ImageStore;
import dev.kindling.snapshot.BuildOptions;
import dev.kindling.snapshot.ImageBuilder;
import dev.kindling.snapshot.Template;
import dev.kindling.snapshot.Templates;
import dev.kindling.workflows.Validation;
import dev.kindling.workflows.host.ImageRef;
import dev.kindling.workflows.image.ImageActivities;
import dev.kindling.workflows.image.ImageBuildRequest;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Golden images as Temporal activities on a host's queue; typed exceptions become typed failures. A
 * request names a template by id only (never a host path): a built-in, or a directory under the
 * host's templates directory.
 */
public final class ImageActivitiesImpl implements ImageActivities {
  private final ImageBuilder builder;
  private final ImageStore store;
  private final Function<Template, BuildOptions> options;
  private final Path templatesDir;
  private final String defaultTemplate;

  /**
   * @param debianMirror the setting {@code debian.mirror}: a Debian mirror URL, or blank for this
   *     host's apt sources
   */
  public ImageActivitiesImpl(
      HostPaths paths, Path templatesDir, String defaultTemplate, String debianMirror) {
    this(
        new ImageBuilder(),
        new ImageStore(paths),
        t -> BuildOptions.forTemplate(t, paths, debianMirror),
        templatesDir,
        defaultTemplate);
  }

  public ImageActivitiesImpl(
      ImageBuilder builder,
      ImageStore store,
      Function<Template, BuildOptions> options,
      Path templatesDir,
      String defaultTemplate) {
    this.builder = builder;
    this.store = store;
    this.options = options;
    this.templatesDir = templatesDir;
    this.defaultTemplate = Validation.templateId(defaultTemplate);
  }

  @Override
  public ImageRef buildImage(ImageBuildRequest request) {
    return HostFailures.typed(
        () -> {
          String id =
              request.template() == null
                  ? defaultTemplate
                  : Validation.templateId(request.template());
          return builder.build(options.apply(Templates.byId(id, templatesDir))).ref();
        });
  }

  @Override
  public ImageRef resolveImage(String imageId, String template) {
    return HostFailures.typed(
        () ->
            store.resolve(
                imageId, template == null ? defaultTemplate : Validation.templateId(template)));
  }

  @Override
  public void promote(ImageRef image) {
    HostFailures.typed(() -> store.promote(image));
  }
}
