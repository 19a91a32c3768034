package dev.akvq.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which image_url values may be read: data: URLs, and files only inside --allow-files with symlinks resolved. */
class ImageInputTest {
    static byte[] png(int w, int h) throws IOException {
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        image.setRGB(1, 1, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static String refused(ImageInput input, String url) {
        ApiError e = assertThrows(ApiError.class, () -> input.read(url, "part"));
        assertEquals(400, e.status);
        assertEquals("part", e.param);
        return e.getMessage();
    }

    @Test
    void dataUrlsDecodeAndThePixelLimitHoldsBeforeDecoding() throws IOException {
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(png(7, 5));
        var image = new ImageInput(null, 35, 1 << 20).read(url, "part");
        assertEquals(7, image.width());
        assertEquals(5, image.height());
        assertTrue(refused(new ImageInput(null, 34, 1 << 20), url).contains("exceeds the limit of 34"));
        assertTrue(refused(new ImageInput(null, 1 << 20, 1 << 20), "data:image/png;base64,"
                + Base64.getEncoder().encodeToString(HttpLayerTest.bombPng())).contains("exceeds the limit"));
    }

    @Test
    void filesOnlyInsideTheAllowedFolderWithSymlinksResolved(@TempDir Path tmp) throws IOException {
        Path allowed = Files.createDirectories(tmp.resolve("allowed")), outside = Files.createDirectories(tmp.resolve("outside"));
        Files.write(allowed.resolve("in.png"), png(3, 2));
        Files.write(outside.resolve("secret.png"), png(3, 2));
        Files.createSymbolicLink(allowed.resolve("link.png"), outside.resolve("secret.png"));
        Files.createSymbolicLink(allowed.resolve("dir"), outside);
        ImageInput input = new ImageInput(allowed.toRealPath(), 1 << 20, 1 << 20);
        assertEquals(3, input.read(allowed.resolve("in.png").toString(), "part").width());
        assertEquals(3, input.read("in.png", "part").width());
        assertEquals(3, input.read(allowed.resolve("in.png").toUri().toString(), "part").width());
        String missing = refused(input, allowed.resolve("link.png").toString());
        assertEquals(missing.replace(allowed.resolve("link.png").toString(), "X"),
                refused(input, outside.resolve("nothing.png").toString()).replace(outside.resolve("nothing.png").toString(), "X"),
                "a file outside must look like a missing one");
        refused(input, "dir/secret.png");
        refused(input, outside.resolve("secret.png").toString());
        refused(input, outside.resolve("secret.png").toUri().toString());
        assertTrue(refused(input, allowed.resolve("../outside/secret.png").toString()).contains(".."));
        assertTrue(refused(input, "http://127.0.0.1/x.png").contains("fetches nothing"));
        assertTrue(refused(new ImageInput(null, 1 << 20, 1 << 20), allowed.resolve("in.png").toString()).contains("--allow-files"));
        assertTrue(refused(input, "ftp://host/x.png").contains("scheme 'ftp'"));
    }
}
