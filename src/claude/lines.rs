//! Line framing of the CLI's stdout with a per-line cap (never a cumulative one).
//!
//! A pipe read can end anywhere in a line; lines are reassembled here. A line longer than
//! the cap is skipped whole (reported as [`Line::Oversized`]) and reading goes on with the
//! next one, so one runaway frame cannot exhaust memory nor end the session.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The default cap: far above the largest frame seen (~33 KB), far below harm.
pub const DEFAULT_MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// One item of the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line without its `\n`.
    Complete(Vec<u8>),
    /// A line over the cap was skipped; its size in bytes.
    Oversized(usize),
}

/// Reads lines of at most `max` bytes.
///
/// Cancellation-safe: a partly read line is kept in the reader, so `next_line` can be used
/// in `select!` and called again.
pub struct LineReader<R> {
    inner: R,
    max: usize,
    buf: Vec<u8>,
    /// Bytes of an oversized line skipped so far.
    skipped: Option<usize>,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    pub fn new(inner: R, max: usize) -> Self {
        LineReader {
            inner,
            max,
            buf: Vec::with_capacity(8 * 1024),
            skipped: None,
        }
    }

    /// The next line, or None at end of input. A final line without `\n` is returned too.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                // EOF
                return Ok(match self.skipped.take() {
                    Some(n) => Some(Line::Oversized(n)),
                    None if self.buf.is_empty() => None,
                    None => Some(Line::Complete(std::mem::take(&mut self.buf))),
                });
            }
            let (chunk, found_newline) = match available.iter().position(|b| *b == b'\n') {
                Some(i) => (&available[..i], true),
                None => (available, false),
            };
            let used = chunk.len() + usize::from(found_newline);
            match self.skipped.as_mut() {
                Some(n) => *n += chunk.len(),
                None if self.buf.len() + chunk.len() > self.max => {
                    self.skipped = Some(self.buf.len() + chunk.len());
                    self.buf = Vec::with_capacity(8 * 1024); // give the memory back
                }
                None => self.buf.extend_from_slice(chunk),
            }
            self.inner.consume(used);
            if found_newline {
                return Ok(Some(match self.skipped.take() {
                    Some(n) => Line::Oversized(n),
                    None => Line::Complete(std::mem::take(&mut self.buf)),
                }));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    async fn all(input: &[u8], max: usize, buf_size: usize) -> Vec<Line> {
        let mut r = LineReader::new(BufReader::with_capacity(buf_size, input), max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().await.unwrap() {
            out.push(l);
        }
        out
    }

    #[tokio::test]
    async fn reassembles_lines_split_across_reads() {
        let lines = all(b"{\"a\":1}\n{\"b\":22}\nlast", 100, 3).await;
        assert_eq!(
            lines,
            vec![
                Line::Complete(b"{\"a\":1}".to_vec()),
                Line::Complete(b"{\"b\":22}".to_vec()),
                Line::Complete(b"last".to_vec()),
            ]
        );
    }

    #[tokio::test]
    async fn skips_an_oversized_line_and_goes_on() {
        let mut input = vec![b'x'; 50];
        input.extend_from_slice(b"\nok\n");
        input.extend(vec![b'y'; 30]);
        let lines = all(&input, 10, 4).await;
        assert_eq!(
            lines,
            vec![
                Line::Oversized(50),
                Line::Complete(b"ok".to_vec()),
                Line::Oversized(30)
            ]
        );
    }

    #[tokio::test]
    async fn the_cap_is_per_line_not_cumulative() {
        let line = vec![b'z'; 9];
        let mut input = Vec::new();
        for _ in 0..1000 {
            input.extend_from_slice(&line);
            input.push(b'\n');
        }
        let lines = all(&input, 10, 7).await;
        assert_eq!(lines.len(), 1000);
        assert!(lines
            .iter()
            .all(|l| matches!(l, Line::Complete(v) if v.len() == 9)));
    }
}
