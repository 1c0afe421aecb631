package dev.kindling.workflows.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * @param hostId where to build; the image is promoted there
 * @param snapshot whether to snapshot a ready canary for fast restores
 * @param retireOlder whether to release VMs still running older images of the template after
 *     promotion
 * @param template the template to build (a built-in id or one under the host's templates
 *     directory); null means the host's default template
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageBuildRequest(
    String hostId, boolean snapshot, boolean retireOlder, String template) {}
