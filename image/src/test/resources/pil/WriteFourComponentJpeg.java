import javax.imageio.*;
import javax.imageio.metadata.*;
import javax.imageio.stream.*;
import java.awt.image.*;
import java.io.*;
import org.w3c.dom.*;
public class Ycck {
  public static void main(String[] a) throws Exception {
    int w = 23, h = 17;
    WritableRaster r = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, w, h, 4, null);
    java.util.Random rng = new java.util.Random(7);
    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
      r.setSample(x, y, 0, (x * 11 + y * 3) % 256);
      r.setSample(x, y, 1, (x * x + y * 5) % 256);
      r.setSample(x, y, 2, (200 - x * 4 - y * 2 + 512) % 256);
      r.setSample(x, y, 3, (y * 13 + rng.nextInt(20)) % 256);
    }
    ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next();
    ImageWriteParam p = wr.getDefaultWriteParam();
    p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT); p.setCompressionQuality(0.9f);
    IIOMetadata md = null; if (!a[1].equals("none")) { ImageTypeSpecifier t = new ImageTypeSpecifier(new ComponentColorModel(new java.awt.color.ColorSpace(java.awt.color.ColorSpace.TYPE_CMYK, 4) { public float[] toRGB(float[] v){return new float[3];} public float[] fromRGB(float[] v){return new float[4];} public float[] toCIEXYZ(float[] v){return new float[3];} public float[] fromCIEXYZ(float[] v){return new float[4];} }, false, false, java.awt.Transparency.OPAQUE, DataBuffer.TYPE_BYTE), r.getSampleModel()); md = wr.getDefaultImageMetadata(t, p); }
    if (md != null) { IIOMetadataNode root = (IIOMetadataNode) md.getAsTree("javax_imageio_jpeg_image_1.0");
    // drop JFIF, add Adobe transform 2 (YCCK)
    Node jpegVariety = root.getElementsByTagName("JPEGvariety").item(0);
    while (jpegVariety.hasChildNodes()) jpegVariety.removeChild(jpegVariety.getFirstChild());
    Node seq = root.getElementsByTagName("markerSequence").item(0);
    IIOMetadataNode adobe = new IIOMetadataNode("app14Adobe");
    adobe.setAttribute("transform", a[1]);
    seq.insertBefore(adobe, seq.getFirstChild());
    md.setFromTree("javax_imageio_jpeg_image_1.0", root); }
    try (ImageOutputStream out = ImageIO.createImageOutputStream(new File(a[0]))) {
      wr.setOutput(out);
      wr.write(null, new IIOImage(r, null, md), p);
    }
  }
}
