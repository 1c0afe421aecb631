package dev.kindling.host.images;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/** An installed Debian package as {@code dpkg-query} reports it. */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PackageVersion(String name, String version) {}
