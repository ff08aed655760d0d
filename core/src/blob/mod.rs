//! Files that travel (ADR 29): blobs addressed by the SHA-256 of their
//! bytes, kept outside the documents. Documents and reference data name a
//! blob by a [`BlobRef`] (hash, media type, size, a name); the same bytes
//! are stored and sent once. Pure values and rules: the store keeps the
//! bytes, the sync engine moves them.

mod attachment;
pub mod budget;
pub mod image;
mod media;
mod sniff;

use serde::{Deserialize, Serialize};

use crate::rules::FieldError;

pub use attachment::{Attachment, AttachmentParent};
pub use media::{MediaItem, PreparedImage, prepare_image};
pub use sniff::{MediaType, sniff};

/// Bytes of one chunk: the unit of transfer and of storage. A cut
/// transfer continues at the first chunk the other side does not have.
pub const CHUNK_BYTES: usize = 512 * 1024;

/// What a blob is for: each kind has its own size limit and media types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum BlobKind {
    /// A product image as the back office published it (PNG or JPEG).
    Image,
    /// The hub's small rendition of a product image (JPEG).
    Thumbnail,
    /// The company logo every document prints (PNG or JPEG).
    Logo,
    /// A file a rep attached to a quote or a visit.
    Attachment,
}

impl BlobKind {
    /// The largest blob of this kind, in bytes.
    pub fn max_bytes(self) -> u64 {
        match self {
            BlobKind::Image => 20 << 20,
            BlobKind::Thumbnail => 256 << 10,
            BlobKind::Logo => LOGO_MAX_BYTES,
            BlobKind::Attachment => 50 << 20,
        }
    }

    /// Its name on the wire and in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            BlobKind::Image => "image",
            BlobKind::Thumbnail => "thumbnail",
            BlobKind::Logo => "logo",
            BlobKind::Attachment => "attachment",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<BlobKind> {
        Some(match s {
            "image" => BlobKind::Image,
            "thumbnail" => BlobKind::Thumbnail,
            "logo" => BlobKind::Logo,
            "attachment" => BlobKind::Attachment,
            _ => return None,
        })
    }

    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            BlobKind::Image => 1,
            BlobKind::Thumbnail => 2,
            BlobKind::Logo => 3,
            BlobKind::Attachment => 4,
        }
    }

    /// The kind of a wire code.
    pub fn from_code(c: u8) -> Option<BlobKind> {
        Some(match c {
            1 => BlobKind::Image,
            2 => BlobKind::Thumbnail,
            3 => BlobKind::Logo,
            4 => BlobKind::Attachment,
            _ => return None,
        })
    }

    /// Whether content sniffed as `media` may be a blob of this kind:
    /// images, thumbnails and logos are PNG or JPEG (what the PDFs embed);
    /// attachments any type [`sniff`] recognises.
    pub fn accepts(self, media: MediaType) -> bool {
        match self {
            BlobKind::Image | BlobKind::Logo => matches!(media, MediaType::Png | MediaType::Jpeg),
            BlobKind::Thumbnail => matches!(media, MediaType::Jpeg | MediaType::Png),
            BlobKind::Attachment => true,
        }
    }

    /// Checks a declared size against the kind's limit.
    pub fn check_size(self, size: u64) -> Result<(), FieldError> {
        if size == 0 {
            return Err(FieldError::new("size", "a file cannot be empty"));
        }
        if size > self.max_bytes() {
            return Err(FieldError::new(
                "size",
                format!("{} bytes is more than the {} limit of {} MiB", size, self.as_str(), self.max_bytes() >> 20)
                    .replace("limit of 0 MiB", &format!("limit of {} KiB", self.max_bytes() >> 10)),
            ));
        }
        Ok(())
    }
}

/// The SHA-256 of `bytes` as 64 lower-case hexadecimal digits.
pub fn hash_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Checks a blob hash as written by [`hash_of`].
pub fn check_hash(hash: &str) -> Result<(), FieldError> {
    if hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(FieldError::new("hash", "is not a SHA-256 in 64 lower-case hexadecimal digits"))
    }
}

/// The 32 bytes of a checked hash.
pub fn hash_bytes(hash: &str) -> Result<[u8; 32], FieldError> {
    check_hash(hash)?;
    let mut out = [0u8; 32];
    for (i, pair) in hash.as_bytes().chunks(2).enumerate() {
        let d = |c: u8| if c.is_ascii_digit() { c - b'0' } else { c - b'a' + 10 };
        out[i] = d(pair[0]) << 4 | d(pair[1]);
    }
    Ok(out)
}

/// Checks a file's name as a person gave it: a name, never a path (no
/// `/`, `\`, `..`, drive letters or control characters), at most 255
/// bytes, not blank.
pub fn check_name(name: &str) -> Result<(), FieldError> {
    let bad = |why: &str| Err(FieldError::new("name", why.to_string()));
    if name.trim().is_empty() {
        return bad("is blank");
    }
    if name.len() > 255 {
        return bad("is longer than 255 bytes");
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." || name.starts_with("..") {
        return bad("is a path, not a file name");
    }
    if name.len() >= 2 && name.as_bytes()[1] == b':' {
        return bad("is a path, not a file name");
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return bad("holds control or direction characters");
    }
    Ok(())
}

/// The largest logo (the PDFs embed it in every document).
pub const LOGO_MAX_BYTES: u64 = 512 * 1024;

/// A document's or the catalog's reference to a blob.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct BlobRef {
    /// SHA-256 of the bytes, 64 hexadecimal digits.
    pub hash: String,
    /// What it is for.
    pub kind: BlobKind,
    /// The media type sniffed from the content (`image/jpeg`, …).
    pub media_type: String,
    /// Bytes.
    pub size: u64,
    /// The file's name as given (`shelf.jpg`): shown, never used as a path.
    pub name: String,
}

impl BlobRef {
    /// The reference's rules: a well-formed hash, a size within the kind's
    /// limit, a media type the kind accepts, a file name that is no path.
    pub fn validate(&self) -> Result<(), FieldError> {
        check_hash(&self.hash)?;
        self.kind.check_size(self.size)?;
        let media = MediaType::parse(&self.media_type)
            .ok_or_else(|| FieldError::new("media_type", "is not a type Onsite recognises"))?;
        if !self.kind.accepts(media) {
            return Err(FieldError::new(
                "media_type",
                format!("{} is not allowed for {}", media.as_str(), self.kind.as_str()),
            ));
        }
        check_name(&self.name)
    }

    /// The reference to `bytes` as a blob of `kind` named `name`, checked:
    /// the media type is sniffed from the content, never taken from the name.
    pub fn of(kind: BlobKind, name: &str, bytes: &[u8]) -> Result<BlobRef, FieldError> {
        check_name(name)?;
        kind.check_size(bytes.len() as u64)?;
        let media = sniff(bytes).ok_or_else(|| {
            FieldError::new("content", "is not a file type Onsite accepts (PDF, images, text, office files, drawings)")
        })?;
        if !kind.accepts(media) {
            return Err(FieldError::new(
                "content",
                format!("is {}, but a {} must be PNG or JPEG", media.as_str(), kind.as_str()),
            ));
        }
        if matches!(kind, BlobKind::Image | BlobKind::Logo | BlobKind::Thumbnail) {
            image::check(bytes)?;
        }
        Ok(BlobRef {
            hash: hash_of(bytes),
            kind,
            media_type: media.as_str().to_string(),
            size: bytes.len() as u64,
            name: name.to_string(),
        })
    }
}

/// The chunks a blob of `size` bytes has.
pub fn chunk_count(size: u64) -> u64 {
    size.div_ceil(CHUNK_BYTES as u64)
}

/// The length chunk `index` of a blob of `size` bytes must have.
pub fn chunk_len(size: u64, index: u64) -> Option<usize> {
    let start = index.checked_mul(CHUNK_BYTES as u64)?;
    (start < size).then(|| (size - start).min(CHUNK_BYTES as u64) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_round_trip_and_bad_ones_are_refused() {
        let h = hash_of(b"abc");
        assert_eq!(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&hash_bytes(&h).unwrap()), h);
        for bad in ["", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &h[..63], "../etc/passwd"] {
            assert!(check_hash(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_names_never_paths() {
        for ok in ["shelf.jpg", "Zeichnung 12 (rev. B).pdf", "Übersicht.xlsx", ".profile"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "  ",
            "../x.pdf",
            "a/b.pdf",
            "a\\b.pdf",
            "C:x.pdf",
            "..",
            "x\u{0}.pdf",
            "fdp.\u{202E}gpj",
            &"a".repeat(256),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_are_checked_per_kind() {
        assert!(BlobKind::Attachment.check_size(20 << 20).is_ok());
        assert!(BlobKind::Attachment.check_size((50 << 20) + 1).is_err());
        assert!(BlobKind::Thumbnail.check_size((256 << 10) + 1).unwrap_err().to_string().contains("256 KiB"));
        assert!(BlobKind::Image.check_size(0).is_err());
        assert!(BlobKind::Attachment.check_size(u64::MAX).is_err());
    }

    #[test]
    fn chunks_cover_the_blob_exactly() {
        let size = 2 * CHUNK_BYTES as u64 + 7;
        assert_eq!(chunk_count(size), 3);
        assert_eq!(chunk_len(size, 0), Some(CHUNK_BYTES));
        assert_eq!(chunk_len(size, 2), Some(7));
        assert_eq!(chunk_len(size, 3), None);
        assert_eq!(chunk_len(size, u64::MAX), None);
        assert_eq!(chunk_count(CHUNK_BYTES as u64), 1);
    }

    #[test]
    fn a_reference_takes_its_type_from_the_content_not_the_name() {
        let pdf = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n".to_vec();
        let r = BlobRef::of(BlobKind::Attachment, "photo.jpg", &pdf).unwrap();
        assert_eq!(r.media_type, "application/pdf");
        assert!(r.validate().is_ok());
        // A PDF is no product image, whatever it is called.
        assert!(BlobRef::of(BlobKind::Image, "photo.jpg", &pdf).is_err());
        // An executable is no attachment.
        assert!(BlobRef::of(BlobKind::Attachment, "setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00").is_err());
        let mut forged = r.clone();
        forged.media_type = "application/x-msdownload".into();
        assert!(forged.validate().is_err());
    }
}
