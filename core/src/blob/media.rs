//! Published files by name (reference data): a product image with its
//! thumbnail, as the catalog's `image` column names it.

use serde::{Deserialize, Serialize};

use super::{BlobKind, BlobRef, check_hash, check_name, image};
use crate::catalog::Seq;
use crate::rules::FieldError;

/// One published image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct MediaItem {
    /// The file name the catalog's `image` column uses (`ms-100.jpg`).
    pub name: String,
    /// SHA-256 of the image.
    pub hash: String,
    /// `image/png` or `image/jpeg`, sniffed.
    pub media_type: String,
    /// Bytes.
    pub size: u64,
    /// Pixels wide.
    pub width: u32,
    /// Pixels high.
    pub height: u32,
    /// The hub's thumbnail (JPEG, at most 256 pixels a side).
    pub thumb_hash: String,
    /// Its bytes.
    pub thumb_size: u64,
    /// Sequence of the last change (0: new).
    #[serde(default)]
    pub seq: Seq,
}

impl MediaItem {
    /// The full image as a blob reference.
    pub fn image(&self) -> BlobRef {
        BlobRef {
            hash: self.hash.clone(),
            kind: BlobKind::Image,
            media_type: self.media_type.clone(),
            size: self.size,
            name: self.name.clone(),
        }
    }

    /// The thumbnail as a blob reference.
    pub fn thumbnail(&self) -> BlobRef {
        BlobRef {
            hash: self.thumb_hash.clone(),
            kind: BlobKind::Thumbnail,
            media_type: "image/jpeg".into(),
            size: self.thumb_size,
            name: format!("{}.thumb.jpg", self.name),
        }
    }

    /// The item's rules.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_name(&self.name)?;
        check_hash(&self.hash)?;
        check_hash(&self.thumb_hash)?;
        self.image().validate()?;
        BlobKind::Thumbnail.check_size(self.thumb_size)
    }
}

/// An image ready to publish: checked, with its thumbnail made.
#[derive(Debug, Clone)]
pub struct PreparedImage {
    /// What the catalog publishes.
    pub item: MediaItem,
    /// The image's bytes.
    pub image: Vec<u8>,
    /// The thumbnail's bytes.
    pub thumbnail: Vec<u8>,
}

/// Checks an image the back office publishes as `name` (its type sniffed,
/// never taken from the name; damaged, oversized or non-PNG/JPEG files
/// refused) and makes its thumbnail.
pub fn prepare_image(name: &str, bytes: &[u8]) -> Result<PreparedImage, FieldError> {
    let r = BlobRef::of(BlobKind::Image, name, bytes)?;
    let dims = image::check(bytes)?;
    let (thumbnail, _) = image::thumbnail(bytes)?;
    BlobKind::Thumbnail.check_size(thumbnail.len() as u64)?;
    Ok(PreparedImage {
        item: MediaItem {
            name: name.to_string(),
            hash: r.hash,
            media_type: r.media_type,
            size: r.size,
            width: dims.width,
            height: dims.height,
            thumb_hash: super::hash_of(&thumbnail),
            thumb_size: thumbnail.len() as u64,
            seq: 0,
        },
        image: bytes.to_vec(),
        thumbnail,
    })
}
