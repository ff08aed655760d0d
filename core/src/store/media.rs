//! Published images in the store (ADR 29): the back office publishes them
//! by name with their thumbnails; a device resolves a product's `image`
//! to them and holds what it fetched.

use super::Store;
use super::catalog::rows::media_where;
use crate::blob::{MediaItem, PreparedImage};
use crate::error::Result;
use crate::release::ReferenceData;
use crate::store::ImportSummary;

impl Store {
    /// Publishes checked images (see [`crate::blob::prepare_image`]): each
    /// image and its thumbnail stored once, their media rows under the next
    /// catalog sequence, in one transaction.
    pub fn publish_images(&self, images: &[PreparedImage]) -> Result<ImportSummary> {
        let data = ReferenceData { media: images.iter().map(|i| i.item.clone()).collect(), ..Default::default() };
        self.publish_with(&data, |tx| {
            for i in images {
                super::blobs::store_local(tx, &i.item.image(), &i.image, false)?;
                super::blobs::store_local(tx, &i.item.thumbnail(), &i.thumbnail, false)?;
            }
            Ok(())
        })
    }

    /// Publishes the media rows of images whose bytes another store holds
    /// (the PostgreSQL hub keeps blobs in its own tables and reference data
    /// in an embedded replica).
    pub fn publish_media(&self, items: &[MediaItem]) -> Result<ImportSummary> {
        self.publish(&ReferenceData { media: items.to_vec(), ..Default::default() })
    }

    /// Whether `hash` is a published image or thumbnail, or the company
    /// logo (anyone may fetch it).
    pub fn is_published_media(&self, hash: &str) -> Result<bool> {
        self.read(|c| public_in(c, hash))
    }

    /// Every published image, by name.
    pub fn media(&self) -> Result<Vec<MediaItem>> {
        self.read(|c| media_where(c, "?1 = 1", 1))
    }

    /// The published image a product's `image` names, if any.
    pub fn product_image(&self, sku: &str) -> Result<Option<MediaItem>> {
        let Some(name) = self.product(sku)?.image else { return Ok(None) };
        Ok(self.read(|c| media_where(c, "name = ?1", &name))?.into_iter().next())
    }

    /// The bytes of a product's image held on this device: the full image
    /// if fetched, else its thumbnail; `None` when neither is here.
    pub fn product_image_bytes(&self, sku: &str) -> Result<Option<Vec<u8>>> {
        let Some(m) = self.product_image(sku)? else { return Ok(None) };
        for hash in [&m.hash, &m.thumb_hash] {
            if self.has_blob(hash)? {
                return Ok(Some(self.blob(hash)?));
            }
        }
        Ok(None)
    }
}

/// Whether `hash` is published for every device: an image, a thumbnail or
/// the company logo.
pub(crate) fn public_in(c: &rusqlite::Connection, hash: &str) -> Result<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM media WHERE hash = ?1 OR thumb_hash = ?1")?.exists([hash])?
        || super::blobs::logo_file_in(c)?.is_some_and(|f| f.hash == hash))
}
