package dev.kindling.workflows.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * @param hostId where to build; the image is promoted there
 * @param snapshot whether to snapshot a ready canary for fast restores
 * @param retireOlder whether to release VMs still running older images after promotion
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageBuildRequest(String hostId, boolean snapshot, boolean retireOlder) {}
