package dev.akvq.server;

import dev.akvq.image.DecodedImage;
import dev.akvq.image.ImageDecoder;
import dev.akvq.image.ImageFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * The image of one {@code image_url} part: a {@code data:} URL with base64 bytes, or, only when the
 * server was started with {@code --allow-files DIR}, a path or {@code file://} URL inside DIR.
 * The server fetches nothing over the network: http(s) URLs are refused. For files, any
 * {@code ..} segment is refused and the path is resolved with symlinks followed; the real path must
 * still lie inside DIR's real path. Every image is decoded with a pixel limit checked against the
 * header before any pixel buffer exists.
 *
 * @param allowedRoot the real path of --allow-files, or null when files are refused
 */
record ImageInput(Path allowedRoot, long maxPixels, long maxFileBytes) {

    /** Decodes the image {@code url} names; {@code param} is the request part, e.g. messages[0].content[1].image_url. */
    DecodedImage read(String url, String param) {
        String lower = url.toLowerCase(Locale.ROOT);
        byte[] bytes;
        String name;
        if (lower.startsWith("data:")) {
            bytes = dataUrl(url, param);
            name = param;
        } else if (lower.startsWith("http://") || lower.startsWith("https://")) {
            throw ApiError.invalid(param, "image URLs over http(s) are refused: this server fetches nothing from the network;"
                    + " send the image inline as a data: URL (data:image/png;base64,...)");
        } else if (lower.startsWith("file:") || !lower.matches("^[a-z][a-z0-9+.-]*:.*") || lower.matches("^[a-z]:[\\\\/].*")) {
            Path file = allowedFile(url, param);
            bytes = readFile(file, param);
            name = param + " (" + url + ")";
        } else {
            throw ApiError.invalid(param, "an image_url must be a data: URL" + (allowedRoot == null ? "" : ", a file path or file:// URL")
                    + "; found a URL with scheme '" + url.substring(0, url.indexOf(':')) + "'");
        }
        try {
            return ImageDecoder.decode(bytes, name, maxPixels);
        } catch (ImageFormatException e) {
            throw ApiError.invalid(param, "bad image: " + e.getMessage());
        }
    }

    private static byte[] dataUrl(String url, String param) {
        int comma = url.indexOf(',');
        if (comma < 0) throw ApiError.invalid(param, "a data: URL needs a comma before its data (data:image/png;base64,...)");
        String meta = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!meta.endsWith(";base64")) {
            throw ApiError.invalid(param, "a data: URL image must be base64 (data:image/png;base64,...), found 'data:" + meta + ",...'");
        }
        if (!meta.startsWith("image/")) {
            throw ApiError.invalid(param, "a data: URL image must have an image/* media type, found '" + meta.replace(";base64", "") + "'");
        }
        try {
            return Base64.getMimeDecoder().decode(url.substring(comma + 1));
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(param, "the data: URL is not valid base64: " + e.getMessage());
        }
    }

    private Path allowedFile(String url, String param) {
        if (allowedRoot == null) {
            throw ApiError.invalid(param, "file paths are refused: start the server with --allow-files DIR to serve images from DIR,"
                    + " or send the image inline as a data: URL");
        }
        Path path;
        try {
            path = url.regionMatches(true, 0, "file:", 0, 5) ? Path.of(new URI(url)) : Path.of(url);
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw ApiError.invalid(param, "not a valid file path or file:// URL: " + e.getMessage());
        }
        for (Path segment : path) {
            if (segment.toString().equals("..")) throw ApiError.invalid(param, "a file path with '..' is refused");
        }
        Path resolved = allowedRoot.resolve(path);   // relative paths are relative to --allow-files
        Path real;
        try {
            real = resolved.toRealPath();   // follows every symlink
        } catch (IOException e) {
            throw ApiError.invalid(param, "no such file inside --allow-files: " + url);
        }
        if (!real.startsWith(allowedRoot) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
            // The same words whether the file exists outside or not: nothing about other files leaks.
            throw ApiError.invalid(param, "no such file inside --allow-files: " + url);
        }
        return real;
    }

    private byte[] readFile(Path file, String param) {
        try {
            if (Files.size(file) > maxFileBytes) {
                throw ApiError.invalid(param, "the image file is larger than " + maxFileBytes + " bytes");
            }
            try (InputStream in = Files.newInputStream(file)) {
                return in.readNBytes((int) maxFileBytes);
            }
        } catch (IOException e) {
            throw ApiError.invalid(param, "cannot read the image file: " + e.getClass().getSimpleName());
        }
    }
}
