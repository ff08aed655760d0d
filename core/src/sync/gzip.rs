//! gzip (RFC 1952) around raw DEFLATE: request bodies to the hub are sent
//! gzip-compressed, and an answer the platform passed through still
//! compressed is inflated here. The member format only; one member.

use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::decompress_to_vec_with_limit;

const MAGIC: [u8; 2] = [0x1f, 0x8b];
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;

fn crc32(bytes: &[u8]) -> u32 {
    // The reflected CRC-32 of gzip and zip (polynomial 0xEDB88320), a
    // table of 256 computed once.
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
            *slot = c;
        }
        t
    });
    let mut c = !0u32;
    for &b in bytes {
        c = table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// `bytes` as one gzip member (fast compression).
pub(crate) fn compress(bytes: &[u8]) -> Vec<u8> {
    let deflated = compress_to_vec(bytes, 3);
    let mut out = Vec::with_capacity(deflated.len() + 18);
    out.extend_from_slice(&MAGIC);
    // CM = deflate, no flags, no mtime, no extra flags, OS unknown.
    out.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 255]);
    out.extend_from_slice(&deflated);
    out.extend_from_slice(&crc32(bytes).to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out
}

/// Whether `bytes` start like a gzip member.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 18 && bytes[..2] == MAGIC && bytes[2] == 8
}

/// Inflates one gzip member to at most `limit` bytes; `None` for anything
/// that is not a whole, intact member within the limit.
pub(crate) fn decompress(bytes: &[u8], limit: usize) -> Option<Vec<u8>> {
    if !is_gzip(bytes) {
        return None;
    }
    let flags = bytes[3];
    let mut at = 10usize;
    if flags & FEXTRA != 0 {
        let n = usize::from(u16::from_le_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
        at = at.checked_add(2 + n)?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = bytes.get(at..)?.iter().position(|&b| b == 0)?;
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    let body = bytes.get(at..bytes.len().checked_sub(8)?)?;
    let trailer = &bytes[bytes.len() - 8..];
    let out = decompress_to_vec_with_limit(body, limit).ok()?;
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    (crc == crc32(&out) && size == out.len() as u32).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crc_is_gzips() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn round_trips_and_refuses_damage() {
        let text = "Sechskantschraube DIN 933 M10×40 ".repeat(200);
        let packed = compress(text.as_bytes());
        assert!(packed.len() < text.len() / 5, "{}", packed.len());
        assert_eq!(decompress(&packed, 1 << 20).as_deref(), Some(text.as_bytes()));
        assert_eq!(decompress(&packed, 100), None, "over the limit");
        let mut bad = packed.clone();
        let n = bad.len();
        bad[n - 6] ^= 1;
        assert_eq!(decompress(&bad, 1 << 20), None, "a wrong checksum");
        assert_eq!(decompress(&packed[..packed.len() - 3], 1 << 20), None, "truncated");
        assert_eq!(decompress(b"OSYN\x04\x02", 1 << 20), None, "a frame is not gzip");
    }

    #[test]
    fn reads_a_member_with_a_file_name() {
        // As `gzip` writes it by default (the hub's own flate2 reads what
        // `compress` writes in the HTTP tests).
        let mut member = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 3];
        member.extend_from_slice(b"frame.bin\0");
        member.extend_from_slice(&compress_to_vec(b"hello hub", 6));
        member.extend_from_slice(&crc32(b"hello hub").to_le_bytes());
        member.extend_from_slice(&9u32.to_le_bytes());
        assert_eq!(decompress(&member, 100).as_deref(), Some(&b"hello hub"[..]));
    }
}
