//! What a file is, from its first bytes: never from its name.

/// The media types Onsite recognises in a file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// `image/png`
    Png,
    /// `image/jpeg`
    Jpeg,
    /// `image/gif`
    Gif,
    /// `image/webp`
    Webp,
    /// `image/tiff`
    Tiff,
    /// `image/heic` (what phone cameras write)
    Heic,
    /// `application/pdf`
    Pdf,
    /// `application/zip` (also the office formats, which are ZIP files)
    Zip,
    /// `image/vnd.dwg` (AutoCAD drawings)
    Dwg,
    /// `text/plain` (UTF-8 without NUL: notes, CSV, DXF drawings)
    Text,
}

const ALL: [MediaType; 10] = [
    MediaType::Png,
    MediaType::Jpeg,
    MediaType::Gif,
    MediaType::Webp,
    MediaType::Tiff,
    MediaType::Heic,
    MediaType::Pdf,
    MediaType::Zip,
    MediaType::Dwg,
    MediaType::Text,
];

impl MediaType {
    /// The IANA name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Png => "image/png",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
            MediaType::Tiff => "image/tiff",
            MediaType::Heic => "image/heic",
            MediaType::Pdf => "application/pdf",
            MediaType::Zip => "application/zip",
            MediaType::Dwg => "image/vnd.dwg",
            MediaType::Text => "text/plain",
        }
    }

    /// The type named `s`.
    pub fn parse(s: &str) -> Option<MediaType> {
        ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The type of a file from its first bytes (at least the first 4 KiB when
/// the file is that long), `None` when Onsite does not accept it
/// (executables, scripts with NUL bytes, anything unrecognised).
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    let starts = |m: &[u8]| head.starts_with(m);
    Some(if starts(b"\x89PNG\r\n\x1a\n") {
        MediaType::Png
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        MediaType::Jpeg
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        MediaType::Gif
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        MediaType::Webp
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        MediaType::Tiff
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"heic" | b"heix" | b"heif" | b"mif1" | b"msf1" | b"hevc")
    {
        MediaType::Heic
    } else if starts(b"%PDF-") {
        MediaType::Pdf
    } else if starts(b"PK\x03\x04") {
        MediaType::Zip
    } else if head.len() >= 6 && &head[..4] == b"AC10" && head[4..6].iter().all(u8::is_ascii_digit) {
        MediaType::Dwg
    } else if is_text(head) {
        MediaType::Text
    } else {
        return None;
    })
}

/// UTF-8 without NUL or other control bytes than tab, CR, LF and form
/// feed; a character cut at the end of `head` is allowed.
fn is_text(head: &[u8]) -> bool {
    let sample = &head[..head.len().min(4096)];
    if sample.is_empty() || sample.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) {
        return false;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && sample.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type() {
        let cases: [(&[u8], Option<MediaType>); 12] = [
            (b"\x89PNG\r\n\x1a\n\0\0", Some(MediaType::Png)),
            (&[0xFF, 0xD8, 0xFF, 0xE0], Some(MediaType::Jpeg)),
            (b"%PDF-1.4\n", Some(MediaType::Pdf)),
            (b"RIFF\0\0\0\0WEBPVP8 ", Some(MediaType::Webp)),
            (b"\0\0\0\x18ftypheic\0\0\0\0", Some(MediaType::Heic)),
            (b"PK\x03\x04\x14\0", Some(MediaType::Zip)),
            (b"AC1032\0\0", Some(MediaType::Dwg)),
            ("Menge;Artikel\n3;Dübel\n".as_bytes(), Some(MediaType::Text)),
            (b"MZ\x90\0\x03\0", None),
            (b"\x7fELF\x02\x01", None),
            (b"", None),
            (b"#!/bin/sh\n\0rm", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), want, "{bytes:?}");
        }
        // A UTF-8 character cut at the end of the sniffed head is still text.
        let mut cut = "a".repeat(4095).into_bytes();
        cut.extend_from_slice("ü".as_bytes());
        assert_eq!(sniff(&cut), Some(MediaType::Text));
        for m in ALL {
            assert_eq!(MediaType::parse(m.as_str()), Some(m));
        }
    }
}
