package dev.kindling.workflows.host;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * How watching a ready VM's app ended.
 *
 * @param exited true when the app exited for good under a template whose {@code onExit} is {@code
 *     release}; false when there was nothing to watch (the template restarts its app)
 * @param how e.g. "exited with status 0", or why nothing was watched
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AppExit(boolean exited, String how) {}
