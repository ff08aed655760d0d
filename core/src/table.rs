//! Tables in files: the CSV reading every import shares (byte-order mark,
//! `;`, `,` or tab detected from the header, quoted and multi-line fields)
//! and the [`Problem`] a bad row is reported as.

use std::fmt;

/// One bad row of an import file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// 1-based line number (the header line for column problems).
    pub line: u64,
    /// The row's key (SKU, price list id, tax class code), if it had one.
    pub key: Option<String>,
    /// What is wrong, in plain words.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "line {} ({}): {}", self.line, k, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// The bytes without a UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A problem on `line`.
pub(crate) fn problem(line: u64, key: Option<&str>, reason: impl Into<String>) -> Problem {
    Problem { line, key: key.map(str::to_string), reason: reason.into() }
}

/// The delimiter of a CSV file: the most frequent of `;`, `,` and tab
/// outside quotes on its header line (`,` when none).
pub(crate) fn detect_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for &b in bytes.iter().take_while(|&&b| b != b'\n') {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for c in &mut counts {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts.iter().max_by_key(|c| c.1).filter(|c| c.1 > 0).map_or(b',', |c| c.0)
}

/// A CSV reader over a file's bytes as every import reads them: without
/// a byte-order mark, the delimiter from the header line, rows of any
/// length (the header is a record like the others).
pub(crate) fn reader(bytes: &[u8]) -> csv::Reader<&[u8]> {
    let bytes = strip_bom(bytes);
    csv::ReaderBuilder::new().delimiter(detect_delimiter(bytes)).has_headers(false).flexible(true).from_reader(bytes)
}

/// Lower-cased header names, and rows as (line, fields).
pub(crate) type CsvTable = (Vec<String>, Vec<(u64, Vec<String>)>);

/// A plain CSV table for the marketing imports, read like catalog files
/// (byte-order mark, `;` or `,`, quoted and multi-line fields): the header's
/// names trimmed and lower-cased, and every non-empty row with its 1-based
/// line. Unreadable rows are problems; an empty file is one.
pub(crate) fn csv_table(bytes: &[u8]) -> Result<CsvTable, Vec<Problem>> {
    let mut reader = reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(vec![problem(1, None, "the file is empty: expected a header line")]),
        Some(Err(e)) => return Err(vec![problem(1, None, format!("unreadable header: {e}"))]),
        Some(Ok(h)) => h,
    };
    let names = header.iter().map(|f| String::from_utf8_lossy(f).trim().to_lowercase()).collect();
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for record in records {
        match record {
            Err(e) => {
                problems.push(problem(e.position().map_or(0, |p| p.line()), None, format!("unreadable row: {e}")))
            }
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                if r.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                match r.iter().map(|f| std::str::from_utf8(f).map(|s| s.trim().to_string())).collect() {
                    Ok(fields) => rows.push((line, fields)),
                    Err(_) => problems.push(problem(line, None, "the row is not UTF-8")),
                }
            }
        }
    }
    if problems.is_empty() { Ok((names, rows)) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_read_from_the_header_outside_quotes() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,2;3"), b';');
        assert_eq!(detect_delimiter(b"\"a;b\",c,d\n"), b',');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }

    #[test]
    fn a_table_keeps_lines_skips_blank_rows_and_reports_bad_ones() {
        let (names, rows) = csv_table(b"\xEF\xBB\xBFCampaign ; Event\nc1;sent\n\n;\nc2;\"multi\nline\"\nc3;open\n")
            .unwrap_or_else(|p| unreachable!("{p:?}"));
        assert_eq!(names, ["campaign", "event"]);
        let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(lines, [2, 5, 7]);
        assert_eq!(rows[1].1, ["c2", "multi\nline"]);
        let problems = csv_table(b"a;b\n\xFF;x\n").err().unwrap_or_default();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
        assert!(csv_table(b"").is_err(), "an empty file is a problem");
    }
}
