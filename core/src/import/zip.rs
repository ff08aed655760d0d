//! Reading the files of a ZIP archive (a folder of product images the back
//! office zipped): stored and deflated entries, sizes checked before
//! anything is inflated, never a panic whatever the bytes (fuzzed).

use crate::rules::FieldError;

/// One file of an archive: its name (the last part of its path) and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipFile {
    /// The file's name without its folders.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

fn bad(why: &str) -> FieldError {
    FieldError::new("archive", why.to_string())
}

/// The files of `archive` (folders, and the `__MACOSX` and dot files a Mac
/// adds, left out), each at most `max_file` bytes inflated, at most
/// `max_files` of them.
pub fn read_zip(archive: &[u8], max_file: usize, max_files: usize) -> Result<Vec<ZipFile>, FieldError> {
    // The end of central directory record: in the last 64 KiB + 22 bytes.
    let from = archive.len().saturating_sub(22 + 65_535);
    let eocd = (from..archive.len().saturating_sub(21))
        .rev()
        .find(|&i| archive[i..].starts_with(b"PK\x05\x06"))
        .ok_or_else(|| bad("is not a ZIP file (no central directory)"))?;
    let count = u16_at(archive, eocd + 10).ok_or_else(|| bad("is truncated"))? as usize;
    let mut at = u32_at(archive, eocd + 16).ok_or_else(|| bad("is truncated"))? as usize;
    if count > max_files {
        return Err(bad(&format!("holds {count} files, more than {max_files}")));
    }
    let mut out = Vec::new();
    for _ in 0..count {
        if u32_at(archive, at) != Some(0x0201_4b50) {
            return Err(bad("has a damaged central directory"));
        }
        let field = |off: usize| u16_at(archive, at + off).map(usize::from).ok_or_else(|| bad("is truncated"));
        let method = field(10)?;
        let packed = u32_at(archive, at + 20).ok_or_else(|| bad("is truncated"))? as usize;
        let size = u32_at(archive, at + 24).ok_or_else(|| bad("is truncated"))? as usize;
        let (name_len, extra_len, comment_len) = (field(28)?, field(30)?, field(32)?);
        let local = u32_at(archive, at + 42).ok_or_else(|| bad("is truncated"))? as usize;
        let path = archive.get(at + 46..at + 46 + name_len).ok_or_else(|| bad("is truncated"))?;
        let path = String::from_utf8_lossy(path).into_owned();
        at += 46 + name_len + extra_len + comment_len;
        let name = path.rsplit(['/', '\\']).next().unwrap_or_default().to_string();
        if path.ends_with('/') || name.is_empty() || name.starts_with('.') || path.starts_with("__MACOSX") {
            continue;
        }
        if size > max_file {
            return Err(bad(&format!("{name}: {size} bytes, more than {max_file}")));
        }
        if u32_at(archive, local) != Some(0x0403_4b50) {
            return Err(bad(&format!("{name}: damaged local header")));
        }
        let skip = usize::from(u16_at(archive, local + 26).unwrap_or(0))
            + usize::from(u16_at(archive, local + 28).unwrap_or(0));
        let start = local + 30 + skip;
        let data =
            archive.get(start..start.saturating_add(packed)).ok_or_else(|| bad(&format!("{name}: truncated")))?;
        let bytes = match method {
            0 => data.to_vec(),
            8 => miniz_oxide::inflate::decompress_to_vec_with_limit(data, max_file)
                .map_err(|_| bad(&format!("{name}: does not inflate within {max_file} bytes")))?,
            m => return Err(bad(&format!("{name}: compression method {m} is not supported (use deflate)"))),
        };
        if bytes.len() != size {
            return Err(bad(&format!("{name}: {} bytes, the directory says {size}", bytes.len())));
        }
        out.push(ZipFile { name, bytes });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::zip_archive as archive;

    #[test]
    fn files_come_out_whole_and_hostile_archives_fail_typed() {
        let big = vec![7u8; 50_000];
        let zip = archive(&[
            ("bilder/ms-100.jpg", b"stored", false),
            ("ms-101.png", &big, true),
            ("bilder/", b"", false),
            ("__MACOSX/._x", b"x", false),
        ]);
        let files = read_zip(&zip, 1 << 20, 100).unwrap();
        assert_eq!(
            files,
            vec![
                ZipFile { name: "ms-100.jpg".into(), bytes: b"stored".to_vec() },
                ZipFile { name: "ms-101.png".into(), bytes: big }
            ]
        );
        assert!(read_zip(&zip, 1000, 100).is_err(), "inflated beyond the limit");
        assert!(read_zip(&zip, 1 << 20, 1).is_err(), "too many files");
        for cut in [0, 10, zip.len() / 2, zip.len() - 1] {
            assert!(read_zip(&zip[..cut], 1 << 20, 100).is_err(), "cut at {cut}");
        }
        assert!(read_zip(b"not a zip", 1 << 20, 100).is_err());
    }
}
