//! Product images and logos: checked before they are published, and the
//! hub's thumbnails of them. Decoding is bounded: a file that declares
//! more pixels than [`MAX_PIXELS`] is refused before it is decoded.

use crate::rules::FieldError;

/// The most pixels an image may declare (a 64-megapixel camera's photo).
pub const MAX_PIXELS: u64 = 64_000_000;
/// The longest side of a thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 256;

/// An image's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimensions {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

fn format_of(bytes: &[u8]) -> Result<image::ImageFormat, FieldError> {
    match image::guess_format(bytes) {
        Ok(f @ (image::ImageFormat::Png | image::ImageFormat::Jpeg)) => Ok(f),
        _ => Err(FieldError::new("content", "is not a PNG or JPEG image")),
    }
}

/// The image's dimensions from its header, checked against [`MAX_PIXELS`].
pub fn check(bytes: &[u8]) -> Result<Dimensions, FieldError> {
    let format = format_of(bytes)?;
    let reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|_| FieldError::new("content", "is a damaged image (its header does not decode)"))?;
    if width == 0 || height == 0 {
        return Err(FieldError::new("content", "is an image without pixels"));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(FieldError::new("content", format!("is {width}×{height} pixels, more than 64 megapixels")));
    }
    Ok(Dimensions { width, height })
}

/// A JPEG of at most [`THUMB_SIDE`] pixels on its longer side (never
/// enlarged), on white where the image was transparent. Decoding the whole
/// image also proves it is not damaged beyond its header.
pub fn thumbnail(bytes: &[u8]) -> Result<(Vec<u8>, Dimensions), FieldError> {
    let dims = check(bytes)?;
    let format = format_of(bytes)?;
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + (16 << 20));
    reader.limits(limits);
    let img = reader.decode().map_err(|_| FieldError::new("content", "is a damaged image (it does not decode)"))?;
    let small = if dims.width.max(dims.height) > THUMB_SIDE { img.thumbnail(THUMB_SIDE, THUMB_SIDE) } else { img };
    let rgba = small.to_rgba8();
    let rgb = image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let p = rgba.get_pixel(x, y).0;
        let a = u32::from(p[3]);
        let over = |c: u8| ((u32::from(c) * a + 255 * (255 - a)) / 255) as u8;
        image::Rgb([over(p[0]), over(p[1]), over(p[2])])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&rgb)
        .map_err(|_| FieldError::new("content", "could not be made into a thumbnail"))?;
    Ok((out, Dimensions { width: rgb.width(), height: rgb.height() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 200]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgba8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn thumbnails_fit_the_side_and_keep_the_aspect() {
        let (jpeg, d) = thumbnail(&png(1024, 512)).unwrap();
        assert_eq!((d.width, d.height), (256, 128));
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert_eq!(check(&jpeg).unwrap(), d);
        let (_, small) = thumbnail(&png(40, 30)).unwrap();
        assert_eq!((small.width, small.height), (40, 30), "never enlarged");
    }

    #[test]
    fn damaged_and_oversized_images_are_refused() {
        let good = png(64, 64);
        assert!(check(&good[..20]).is_err(), "a cut header");
        let mut cut = good.clone();
        cut.truncate(good.len() - 40);
        assert!(thumbnail(&cut).is_err(), "a cut image body");
        assert!(check(b"GIF89a\x01\0\x01\0").is_err());
        // A PNG header that declares 100,000 × 100,000 pixels.
        let mut huge = good.clone();
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&huge[12..29]);
        huge[29..33].copy_from_slice(&crc.to_be_bytes());
        let err = check(&huge).unwrap_err().to_string();
        assert!(err.contains("megapixels"), "{err}");
    }
}
