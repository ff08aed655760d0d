//! The PDF file itself: objects, the two embedded subset fonts with their
//! Unicode maps, images and the cross-reference table (issue 17). Our pages
//! are positioned text in two fonts, rules, rectangles and images, which is
//! a small part of PDF; writing it here instead of through printpdf (with
//! its HTML layout, font formats, encodings and PDF parser) took 2.48 MB
//! off the mobile library (ADR 21).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// One embedded font: its PostScript name, the face's bytes and the glyphs
/// the pages used, each with the text it stands for.
pub(crate) struct FontUse<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
    pub glyphs: &'a BTreeMap<u16, char>,
}

/// An image ready to embed, 8 bits per component: a JPEG as it came
/// (`DCTDecode`), anything else decoded and DEFLATE-compressed.
#[derive(Debug, Clone)]
pub(crate) struct Image {
    pub width: usize,
    pub height: usize,
    /// `DeviceGray` or `DeviceRGB`.
    gray: bool,
    /// `DCTDecode` (the JPEG file) or `FlateDecode` (pixels).
    jpeg: bool,
    pixels: Vec<u8>,
    alpha: Option<Vec<u8>>,
}

impl Image {
    /// Decodes a PNG or JPEG; `None` if it is neither or is broken.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Image> {
        let format = image::guess_format(bytes).ok()?;
        if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
            return None;
        }
        let mut img = image::load_from_memory_with_format(bytes, format).ok()?;
        let gray = !img.color().has_color();
        let has_alpha = img.color().has_alpha();
        let channels = usize::from(!gray) * 2 + 1 + usize::from(has_alpha);
        let raw = img.width() as usize * img.height() as usize * channels;
        if raw > MAX_PIXEL_BYTES {
            // Too large for a page (a camera photo): scaled down to fit, as
            // printpdf did, and stored as a JPEG at quality 85 if it has colour
            // and no transparency.
            let f = (MAX_PIXEL_BYTES as f64 / raw as f64).sqrt();
            let scaled = |v: u32| ((f64::from(v) * f).floor() as u32).max(1);
            img = img.thumbnail_exact(scaled(img.width()), scaled(img.height()));
        }
        let (width, height) = (img.width() as usize, img.height() as usize);
        // A JPEG that decoded is embedded as it is (smaller than its pixels,
        // and not re-compressed), if PDF readers take it as it is: 8 bits,
        // grey or colour (CMYK files are decoded to RGB instead).
        if raw <= MAX_PIXEL_BYTES
            && format == image::ImageFormat::Jpeg
            && jpeg_components(bytes) == Some(if gray { 1 } else { 3 })
        {
            return Some(Image { width, height, gray, jpeg: true, pixels: bytes.to_vec(), alpha: None });
        }
        if raw > MAX_PIXEL_BYTES && !gray && !has_alpha && width <= 65_535 && height <= 65_535 {
            // (A JPEG has at most 65,535 pixels a side; a strip longer than
            // that, even scaled, is stored lossless below.)
            let mut out = Vec::new();
            let rgb = img.to_rgb8();
            if image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&rgb).is_ok() {
                return Some(Image { width, height, gray, jpeg: true, pixels: out, alpha: None });
            }
        }
        let alpha = has_alpha.then(|| img.to_luma_alpha8().pixels().map(|p| p.0[1]).collect());
        let pixels = if gray { img.to_luma8().into_raw() } else { img.to_rgb8().into_raw() };
        let alpha = alpha.map(|a: Vec<u8>| deflate(&a));
        Some(Image { width, height, gray, jpeg: false, pixels: deflate(&pixels), alpha })
    }
}

/// The most pixel data an image keeps (2 MiB, printpdf's limit): a logo or
/// a product photo of about 830 × 830 colour pixels, plenty for A4.
const MAX_PIXEL_BYTES: usize = 2 * 1024 * 1024;

/// The number of components of an 8-bit baseline, extended or progressive
/// JPEG (its first start-of-frame segment), `None` for anything else.
fn jpeg_components(b: &[u8]) -> Option<u8> {
    let mut at = 2; // after SOI
    while at + 4 <= b.len() {
        if b[at] != 0xFF {
            return None;
        }
        let marker = b[at + 1];
        let len = usize::from(u16_at(b, at + 2)?);
        match marker {
            0xC0..=0xC2 => return (*b.get(at + 4)? == 8).then_some(*b.get(at + 9)?),
            0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF | 0xDA => return None,
            _ => at += 2 + len,
        }
    }
    None
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

/// Document metadata for the Info dictionary.
pub(crate) struct Info<'a> {
    pub title: &'a str,
    /// The sender (the letterhead's company); empty: none written.
    pub author: &'a str,
    pub identifier: &'a str,
    /// `D:YYYYMMDDHHmmSSZ`-style date string without the `D:`.
    pub date: &'a str,
}

/// Collects numbered objects and writes the file.
struct Objects {
    out: Vec<u8>,
    offsets: Vec<usize>,
    /// Objects stored in an object stream: their stream and index in it.
    packed: BTreeMap<usize, (usize, usize)>,
}

impl Objects {
    fn reserve(&mut self) -> usize {
        self.offsets.push(0);
        self.offsets.len()
    }

    fn put(&mut self, id: usize, body: &str) {
        self.begin(id);
        self.out.extend_from_slice(body.as_bytes());
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn begin(&mut self, id: usize) {
        self.offsets[id - 1] = self.out.len();
        self.out.extend_from_slice(format!("{id} 0 obj\n").as_bytes());
    }

    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) {
        self.begin(id);
        self.out.extend_from_slice(format!("<<{dict} /Length {}>>\nstream\n", data.len()).as_bytes());
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    /// Writes many small objects (the structure tree's elements) into one
    /// deflated object stream (PDF 1.5, 7.5.7): a tagged 200-line quote has
    /// thousands of them.
    fn packed_stream(&mut self, objects: &[(usize, String)]) {
        let stm = self.reserve();
        let (mut header, mut bodies) = (String::new(), String::new());
        for (index, (id, body)) in objects.iter().enumerate() {
            let _ = write!(header, "{id} {} ", bodies.len());
            bodies.push_str(body);
            bodies.push('\n');
            self.packed.insert(*id, (stm, index));
        }
        let data = deflate(format!("{header}{bodies}").as_bytes());
        let dict = format!(" /Type /ObjStm /N {} /First {} /Filter /FlateDecode", objects.len(), header.len());
        self.stream(stm, &dict, &data);
    }
}

/// A PDF text string: literal for ASCII, UTF-16BE with a byte-order mark otherwise.
fn text_string(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        let mut out = String::from("(");
        for c in s.chars() {
            if matches!(c, '(' | ')' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push(')');
        return out;
    }
    let mut out = String::from("<FEFF");
    for unit in s.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// Writes the document: pages of `(content stream, used font resources)`,
/// fonts `F0`, `F1`, … and images `Im0`, `Im1`, … shared by every page.
pub(crate) fn write(
    info: &Info<'_>,
    page_size: (f32, f32),
    pages: &[Vec<u8>],
    fonts: &[FontUse<'_>],
    images: &[Image],
    tags: Option<(&super::structure::Structure, &[Vec<usize>])>,
) -> Vec<u8> {
    let mut o =
        Objects { out: b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec(), offsets: Vec::new(), packed: BTreeMap::new() };
    let catalog = o.reserve();
    let tree = o.reserve();
    let resources = o.reserve();
    let info_id = o.reserve();

    let mut font_refs = String::new();
    for (i, f) in fonts.iter().enumerate() {
        let id = embed_font(&mut o, f);
        let _ = write!(font_refs, " /F{i} {id} 0 R");
    }
    let mut image_refs = String::new();
    for (i, img) in images.iter().enumerate() {
        let id = embed_image(&mut o, img);
        let _ = write!(image_refs, " /Im{i} {id} 0 R");
    }
    o.put(resources, &format!("<< /Font <<{font_refs} >> /XObject <<{image_refs} >> >>"));

    let mut kids = String::new();
    let mut page_ids = Vec::with_capacity(pages.len());
    for (i, content) in pages.iter().enumerate() {
        let page = o.reserve();
        let stream = o.reserve();
        o.stream(stream, " /Filter /FlateDecode", &deflate(content));
        // A tagged page names its entry in the parent tree and is read in
        // structure order.
        let tagged = if tags.is_some() { format!(" /StructParents {i} /Tabs /S") } else { String::new() };
        o.put(
            page,
            &format!(
                "<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {} {}] /Resources {resources} 0 R /Contents {stream} 0 R{tagged} >>",
                num(page_size.0),
                num(page_size.1)
            ),
        );
        let _ = write!(kids, " {page} 0 R");
        page_ids.push(page);
    }
    o.put(tree, &format!("<< /Type /Pages /Kids [{kids} ] /Count {} >>", pages.len()));
    let mut marked = String::new();
    if let Some((structure, marks)) = tags {
        let first = o.reserve();
        for _ in 1..structure.object_count() {
            o.reserve();
        }
        let (objects, root) = structure.objects(first, &page_ids, marks);
        o.packed_stream(&objects);
        marked = format!(
            " /MarkInfo << /Marked true >> /StructTreeRoot {root} 0 R /Lang {} /ViewerPreferences << /DisplayDocTitle true >>",
            text_string(structure.lang)
        );
    }
    o.put(catalog, &format!("<< /Type /Catalog /Pages {tree} 0 R{marked} >>"));
    let date = text_string(&format!("D:{}", info.date));
    let author =
        if info.author.trim().is_empty() { String::new() } else { format!("/Author {} ", text_string(info.author)) };
    o.put(
        info_id,
        &format!(
            "<< /Title {} {author}/Creator (Onsite) /Producer (Onsite) /CreationDate {date} /ModDate {date} /Identifier {} >>",
            text_string(info.title),
            text_string(info.identifier)
        ),
    );

    // The cross-reference stream (7.5.8): 1 byte type, 4 bytes offset or
    // object stream, 2 bytes generation or index.
    let xref_id = o.reserve();
    let size = o.offsets.len() + 1;
    // The file identifier is a hash of the content (as the specification
    // suggests), so equal input gives equal bytes.
    let hash = Sha256::digest(&o.out);
    let id: String = hash.iter().take(16).map(|b| format!("{b:02X}")).collect();
    let xref = o.out.len();
    o.offsets[xref_id - 1] = xref;
    let mut rows = Vec::with_capacity(size * 7);
    rows.extend_from_slice(&[0, 0, 0, 0, 0, 0xFF, 0xFF]);
    for (n, off) in o.offsets.iter().enumerate() {
        let (kind, a, b) = match o.packed.get(&(n + 1)) {
            Some((stm, index)) => (2u8, *stm, *index),
            None => (1u8, *off, 0),
        };
        rows.push(kind);
        rows.extend_from_slice(&u32::try_from(a).unwrap_or(u32::MAX).to_be_bytes());
        rows.extend_from_slice(&u16::try_from(b).unwrap_or(u16::MAX).to_be_bytes());
    }
    let data = deflate(&rows);
    let dict = format!(
        " /Type /XRef /Size {size} /W [1 4 2] /Root {catalog} 0 R /Info {info_id} 0 R /ID [<{id}> <{id}>] /Filter /FlateDecode"
    );
    o.stream(xref_id, &dict, &data);
    o.out.extend_from_slice(format!("startxref\n{xref}\n%%EOF\n").as_bytes());
    o.out
}

/// A number as PDF writes it: at most three decimals, no trailing zeros.
pub(crate) fn num(v: f32) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn embed_image(o: &mut Objects, img: &Image) -> usize {
    let id = o.reserve();
    let smask = img.alpha.as_ref().map(|alpha| {
        let s = o.reserve();
        let dict = format!(
            " /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
            img.width, img.height
        );
        o.stream(s, &dict, alpha);
        s
    });
    let mut dict = format!(
        " /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /{} /BitsPerComponent 8 /Filter /{}",
        img.width,
        img.height,
        if img.gray { "DeviceGray" } else { "DeviceRGB" },
        if img.jpeg { "DCTDecode" } else { "FlateDecode" }
    );
    if let Some(s) = smask {
        let _ = write!(dict, " /SMask {s} 0 R");
    }
    o.stream(id, &dict, &img.pixels);
    id
}

/// Embeds one font as a Type 0 font with a CIDFontType2 descendant (glyph
/// ids as character codes, `Identity-H`), its subset program and a
/// `ToUnicode` map so text can be searched and copied.
fn embed_font(o: &mut Objects, f: &FontUse<'_>) -> usize {
    let type0 = o.reserve();
    let cid = o.reserve();
    let descriptor = o.reserve();
    let file = o.reserve();
    let to_unicode = o.reserve();
    let face = ttf_parser::Face::parse(f.bytes, 0).ok();
    let units = face.as_ref().map_or(1000.0, |f| f32::from(f.units_per_em()));
    let scale = |v: f32| (v * 1000.0 / units).round() as i32;

    let subset = subset_truetype(f.bytes, f.glyphs.keys().copied()).unwrap_or_default();
    let tag: String = {
        let mut h = Sha256::new();
        h.update(f.name.as_bytes());
        for g in f.glyphs.keys() {
            h.update(g.to_be_bytes());
        }
        h.finalize().iter().take(6).map(|b| char::from(b'A' + b % 26)).collect()
    };
    let name = format!("{tag}+{}", f.name);

    let mut widths = String::new();
    for &g in f.glyphs.keys() {
        let adv = face.as_ref().and_then(|face| face.glyph_hor_advance(ttf_parser::GlyphId(g))).unwrap_or(0);
        let _ = write!(widths, " {g} [{}]", scale(f32::from(adv)));
    }
    let (bbox, ascent, descent, cap) = match &face {
        Some(face) => {
            let b = face.global_bounding_box();
            // DejaVu's OS/2 table predates the cap height field: H's top.
            let h = face.glyph_index('H').and_then(|g| glyph_top(f.bytes, g.0));
            let cap = face.capital_height().or(h).unwrap_or(face.ascender());
            (
                [b.x_min, b.y_min, b.x_max, b.y_max].map(|v| scale(f32::from(v))),
                scale(f32::from(face.ascender())),
                scale(f32::from(face.descender())),
                scale(f32::from(cap)),
            )
        }
        None => ([0, 0, 1000, 1000], 800, -200, 700),
    };

    o.stream(file, &format!(" /Length1 {} /Filter /FlateDecode", subset.len()), &deflate(&subset));
    o.put(
        descriptor,
        &format!(
            "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {ascent} /Descent {descent} /CapHeight {cap} /StemV 80 /FontFile2 {file} 0 R >>",
            bbox[0], bbox[1], bbox[2], bbox[3]
        ),
    );
    o.put(
        cid,
        &format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW 0 /W [{widths} ] /CIDToGIDMap /Identity >>"
        ),
    );
    o.stream(to_unicode, " /Filter /FlateDecode", &deflate(cmap(f.glyphs).as_bytes()));
    o.put(
        type0,
        &format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H /DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>"
        ),
    );
    type0
}

/// The `ToUnicode` CMap: each glyph id to the character it was chosen for.
fn cmap(glyphs: &BTreeMap<u16, char>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let all: Vec<(&u16, &char)> = glyphs.iter().collect();
    for block in all.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", block.len());
        for (g, c) in block {
            let mut units = [0u16; 2];
            let hex: String = c.encode_utf16(&mut units).iter().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(s, "<{g:04X}> <{hex}>");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

/// The top of a TrueType glyph's bounding box (`yMax` of its `glyf` entry).
fn glyph_top(font: &[u8], glyph: u16) -> Option<i16> {
    let face = ttf_parser::RawFace::parse(font, 0).ok()?;
    let (head, loca, glyf) = (
        face.table(ttf_parser::Tag::from_bytes(b"head"))?,
        face.table(ttf_parser::Tag::from_bytes(b"loca"))?,
        face.table(ttf_parser::Tag::from_bytes(b"glyf"))?,
    );
    let g = usize::from(glyph);
    let start =
        if u16_at(head, 50)? == 1 { u32_at(loca, 4 * g)? as usize } else { 2 * usize::from(u16_at(loca, 2 * g)?) };
    u16_at(glyf, start + 8).map(|v| v as i16)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// A TrueType font reduced to the glyphs in `keep` (and the glyphs their
/// composites are made of): every other glyph's outline and advance are
/// emptied, so glyph ids stay those of the full font. Tables a PDF viewer
/// needs are kept (outlines, metrics, hinting); the character map is left
/// empty, since the PDF maps codes to glyphs itself.
pub(crate) fn subset_truetype(font: &[u8], keep: impl IntoIterator<Item = u16>) -> Option<Vec<u8>> {
    let num_tables = usize::from(u16_at(font, 4)?);
    let mut tables: BTreeMap<[u8; 4], &[u8]> = BTreeMap::new();
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let (off, len) = (u32_at(font, rec + 8)? as usize, u32_at(font, rec + 12)? as usize);
        tables.insert(tag, font.get(off..off.checked_add(len)?)?);
    }
    let head = *tables.get(b"head")?;
    let maxp = *tables.get(b"maxp")?;
    let hhea = *tables.get(b"hhea")?;
    let (loca, glyf, hmtx) = (*tables.get(b"loca")?, *tables.get(b"glyf")?, *tables.get(b"hmtx")?);
    let num_glyphs = usize::from(u16_at(maxp, 4)?);
    let long_loca = u16_at(head, 50)? == 1;
    let offset = |g: usize| -> Option<usize> {
        if long_loca {
            u32_at(loca, 4 * g).map(|v| v as usize)
        } else {
            u16_at(loca, 2 * g).map(|v| 2 * usize::from(v))
        }
    };
    let glyph = |g: usize| -> Option<&[u8]> { glyf.get(offset(g)?..offset(g + 1)?) };

    // The glyphs to keep: .notdef, the used ones, and composite parts.
    let mut kept: BTreeSet<usize> = BTreeSet::new();
    let mut todo: Vec<usize> = keep.into_iter().map(usize::from).filter(|&g| g < num_glyphs).collect();
    todo.push(0);
    while let Some(g) = todo.pop() {
        if !kept.insert(g) {
            continue;
        }
        let data = glyph(g).unwrap_or_default();
        if data.len() < 10 || (u16_at(data, 0)? as i16) >= 0 {
            continue;
        }
        let mut at = 10;
        loop {
            let flags = u16_at(data, at)?;
            let part = usize::from(u16_at(data, at + 2)?);
            if part < num_glyphs && !kept.contains(&part) {
                todo.push(part);
            }
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += match flags {
                f if f & 0x0008 != 0 => 2,
                f if f & 0x0040 != 0 => 4,
                f if f & 0x0080 != 0 => 8,
                _ => 0,
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }

    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (num_glyphs + 1));
    for g in 0..num_glyphs {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if kept.contains(&g) {
            new_glyf.extend_from_slice(glyph(g).unwrap_or_default());
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());

    // Metrics of dropped glyphs are zeroed (they compress to nothing).
    let long_metrics = usize::from(u16_at(hhea, 34)?);
    let mut new_hmtx = hmtx.to_vec();
    for g in 0..num_glyphs {
        if kept.contains(&g) {
            continue;
        }
        let range = if g < long_metrics {
            4 * g..4 * g + 4
        } else {
            let at = 4 * long_metrics + 2 * (g - long_metrics);
            at..at + 2
        };
        if let Some(slot) = new_hmtx.get_mut(range) {
            slot.fill(0);
        }
    }

    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.fill(0); // checkSumAdjustment, set below
    new_head.get_mut(50..52)?.copy_from_slice(&1u16.to_be_bytes()); // long loca
    // post version 3: no glyph names.
    let post = tables.get(b"post").and_then(|p| p.get(..32)).map(|p| {
        let mut p = p.to_vec();
        p[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
        p
    });
    // A character map with no characters: one Windows Unicode record at
    // offset 12 to a format 4 subtable holding only the closing segment.
    let cmap: Vec<u8> = vec![
        0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12, // version, one record (3, 1) at 12
        0, 4, 0, 24, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, // format 4, length 24, one segment
        0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0, 1, 0, 0, // end, pad, start, delta, range offset
    ];

    let mut out_tables: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
    out_tables.insert(*b"head", new_head);
    out_tables.insert(*b"hhea", hhea.to_vec());
    out_tables.insert(*b"maxp", maxp.to_vec());
    out_tables.insert(*b"hmtx", new_hmtx);
    out_tables.insert(*b"loca", new_loca);
    out_tables.insert(*b"glyf", new_glyf);
    out_tables.insert(*b"cmap", cmap);
    if let Some(p) = post {
        out_tables.insert(*b"post", p);
    }
    for tag in [b"cvt ", b"fpgm", b"prep", b"OS/2", b"name"] {
        if let Some(t) = tables.get(tag) {
            out_tables.insert(*tag, t.to_vec());
        }
    }

    let n = out_tables.len();
    let mut pow = 1;
    while pow * 2 <= n {
        pow *= 2;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [n as u16, (pow * 16) as u16, pow.trailing_zeros() as u16, (n * 16 - pow * 16) as u16] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut at = 12 + 16 * n;
    let mut head_at = 0;
    for (tag, data) in &out_tables {
        if tag == b"head" {
            head_at = at;
        }
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        at += data.len().div_ceil(4) * 4;
    }
    for data in out_tables.values() {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out.get_mut(head_at + 8..head_at + 12)?.copy_from_slice(&adjust.to_be_bytes());
    Some(out)
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, c| {
        let mut word = [0u8; 4];
        word[..c.len()].copy_from_slice(c);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subset_keeps_the_used_glyphs_and_their_ids() {
        let full = super::super::fonts::regular();
        let face = ttf_parser::Face::parse(full, 0).unwrap();
        let a = face.glyph_index('A').unwrap();
        let a_ring = face.glyph_index('Å').unwrap();
        let sub = subset_truetype(full, [a.0, a_ring.0]).unwrap();
        assert!(sub.len() < full.len() / 4, "{} of {}", sub.len(), full.len());
        assert_eq!(checksum(&sub), 0xB1B0_AFBA, "whole-file checksum");
        let small = ttf_parser::Face::parse(&sub, 0).unwrap();
        assert_eq!(small.number_of_glyphs(), face.number_of_glyphs(), "glyph ids unchanged");
        assert_eq!(small.glyph_hor_advance(a), face.glyph_hor_advance(a));
        assert_eq!(small.glyph_bounding_box(a_ring), face.glyph_bounding_box(a_ring));
        assert_eq!(glyph_top(full, a.0), face.glyph_bounding_box(a).map(|b| b.y_max));
        let b = face.glyph_index('B').unwrap();
        assert_eq!(small.glyph_bounding_box(b), None, "an unused glyph is empty");
    }

    fn png(img: image::DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn images_keep_their_alpha_and_grey() {
        let rgba = image::RgbaImage::from_fn(4, 3, |x, _| image::Rgba([200, 10, 10, (x * 60) as u8]));
        let img = Image::decode(&png(image::DynamicImage::ImageRgba8(rgba))).unwrap();
        assert_eq!((img.width, img.height, img.gray), (4, 3, false));
        let alpha = miniz_oxide::inflate::decompress_to_vec_zlib(img.alpha.as_ref().unwrap()).unwrap();
        assert_eq!(alpha, [0, 60, 120, 180].repeat(3), "the alpha channel becomes the soft mask");
        let pixels = miniz_oxide::inflate::decompress_to_vec_zlib(&img.pixels).unwrap();
        assert_eq!(&pixels[..3], [200, 10, 10]);

        let grey = image::GrayImage::from_pixel(2, 2, image::Luma([77]));
        let img = Image::decode(&png(image::DynamicImage::ImageLuma8(grey))).unwrap();
        assert!(img.gray && img.alpha.is_none());
        assert_eq!(miniz_oxide::inflate::decompress_to_vec_zlib(&img.pixels).unwrap(), [77; 4]);

        let jpeg = {
            let rgb = image::RgbImage::from_pixel(16, 8, image::Rgb([30, 120, 200]));
            let mut out = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageRgb8(rgb).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
            out.into_inner()
        };
        assert_eq!(jpeg_components(&jpeg), Some(3));
        let img = Image::decode(&jpeg).unwrap();
        assert!(img.jpeg && !img.gray && img.pixels == jpeg, "a JPEG is embedded as it came");
        assert_eq!((img.width, img.height), (16, 8));
        assert!(Image::decode(&jpeg[..jpeg.len() / 2]).is_none(), "a truncated JPEG is refused");

        let photo = {
            let rgb = image::RgbImage::from_fn(1200, 900, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
            png(image::DynamicImage::ImageRgb8(rgb))
        };
        let img = Image::decode(&photo).unwrap();
        assert!(img.jpeg && img.width * img.height * 3 <= MAX_PIXEL_BYTES, "{}×{}", img.width, img.height);
        assert_eq!((img.width, img.height), (965, 724), "aspect kept, 2 MiB at most");

        // A strip too long for a JPEG even when scaled is kept, lossless.
        let strip = png(image::DynamicImage::ImageRgb8(image::RgbImage::new(1, 1_000_000)));
        let img = Image::decode(&strip).unwrap();
        assert!(!img.jpeg && img.width == 1 && img.height > 65_535, "{}×{}", img.width, img.height);

        assert!(Image::decode(b"GIF89a not ours").is_none());
        assert!(Image::decode(&png(image::DynamicImage::ImageLuma8(image::GrayImage::new(1, 1)))[..20]).is_none());
    }

    #[test]
    fn numbers_and_strings() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(0.1234), "0.123");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(text_string("Angebot (1)"), "(Angebot \\(1\\))");
        assert_eq!(text_string("Ä"), "<FEFF00C4>");
    }
}
