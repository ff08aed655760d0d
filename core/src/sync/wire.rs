//! Bounds-checked little building blocks of the frame format: LEB128
//! integers and length-prefixed byte strings. Every read checks the
//! remaining input and the caller's limit first, so hostile lengths fail
//! with a typed error instead of allocating or panicking.

use super::error::FrameError;

/// Appends values to a byte buffer.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn uint(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub(crate) fn int(&mut self, v: i64) {
        // zig-zag, so small negative numbers stay short
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.uint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
}

/// Reads values from a byte slice.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub(crate) fn u8(&mut self) -> Result<u8, FrameError> {
        let b = *self.data.get(self.pos).ok_or(FrameError::Truncated)?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn uint(&mut self) -> Result<u64, FrameError> {
        let mut out: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(FrameError::Malformed("integer overflows 64 bits"));
            }
            out |= part << shift;
            if b & 0x80 == 0 {
                return Ok(out);
            }
        }
        Err(FrameError::Malformed("integer longer than 10 bytes"))
    }

    pub(crate) fn int(&mut self) -> Result<i64, FrameError> {
        let u = self.uint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    pub(crate) fn len(&mut self, max: usize) -> Result<usize, FrameError> {
        let n = self.uint()?;
        if n > max as u64 {
            return Err(FrameError::TooLarge { what: "a field", limit: max as u64 });
        }
        Ok(n as usize)
    }

    pub(crate) fn raw(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        let end = self.pos.checked_add(n).ok_or(FrameError::Truncated)?;
        let out = self.data.get(self.pos..end).ok_or(FrameError::Truncated)?;
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn bytes(&mut self, max: usize) -> Result<&'a [u8], FrameError> {
        let n = self.len(max)?;
        self.raw(n)
    }

    pub(crate) fn str(&mut self, max: usize) -> Result<&'a str, FrameError> {
        std::str::from_utf8(self.bytes(max)?).map_err(|_| FrameError::Malformed("text is not UTF-8"))
    }

    pub(crate) fn bool(&mut self) -> Result<bool, FrameError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(FrameError::Malformed("a flag is neither 0 nor 1")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_and_overflow_is_refused() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut w = Writer::default();
            w.uint(v);
            assert_eq!(Reader::new(&w.buf).uint().ok(), Some(v));
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -300] {
            let mut w = Writer::default();
            w.int(v);
            assert_eq!(Reader::new(&w.buf).int().ok(), Some(v));
        }
        assert!(Reader::new(&[0xff; 11]).uint().is_err());
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).uint().is_err());
        assert!(matches!(Reader::new(&[0x80]).uint(), Err(FrameError::Truncated)));
    }

    #[test]
    fn lengths_are_checked_before_reading() {
        let mut w = Writer::default();
        w.uint(1 << 40);
        assert!(matches!(Reader::new(&w.buf).bytes(100), Err(FrameError::TooLarge { .. })));
        let mut w = Writer::default();
        w.uint(10);
        w.raw(b"abc");
        assert!(matches!(Reader::new(&w.buf).bytes(100), Err(FrameError::Truncated)));
    }
}
